#include "RecordingControl.hpp"

#include "Recorder.hpp"

#include <QDir>

namespace chronus::editor {

RecordingControl::RecordingControl(QObject* parent) : QObject(parent) {
    m_timer.setInterval(200);
    // Recordings also start and stop over OSC: the record button follows, 5 times a second.
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (!m_recorder)
            return;
        const app::RecordingStatus now = m_recorder->status();
        if (now.recording != m_lastActive || now.recording || now.path != m_lastPath) {
            m_lastActive = now.recording;
            m_lastPath = now.path;
            emit changed();
        }
    });
}

void RecordingControl::setRecorder(app::Recorder* recorder) {
    m_recorder = recorder;
    if (m_recorder)
        m_timer.start();
    else
        m_timer.stop();
    emit changed();
}

bool RecordingControl::active() const { return m_recorder && m_recorder->status().recording; }
QString RecordingControl::path() const { return m_recorder ? m_recorder->status().path : QString(); }
double RecordingControl::seconds() const { return m_recorder ? m_recorder->status().seconds : 0.0; }

void RecordingControl::toggle() {
    if (!m_recorder) {
        emit message(QStringLiteral("recording is not available"));
        return;
    }
    if (m_recorder->status().recording) {
        auto finished = m_recorder->stop();
        if (!finished)
            emit message(QStringLiteral("recording: ") + QString::fromStdString(finished.status().message()));
        else
            emit message(QStringLiteral("recording saved: %1 (%2 s)")
                             .arg(QDir::toNativeSeparators(finished->path))
                             .arg(finished->seconds, 0, 'f', 1));
    } else {
        auto started = m_recorder->start();
        if (!started)
            emit message(QStringLiteral("recording: ") + QString::fromStdString(started.status().message()));
        else
            emit message(QStringLiteral("recording to %1").arg(QDir::toNativeSeparators(started.value())));
    }
    emit changed();
}

} // namespace chronus::editor
