#pragma once
// The record button: starts and stops the recorder that /record/* drives too, and follows it
// (a recording started over OSC shows here within a fifth of a second). QML reaches it as
// Editor.recording. GUI thread only.

#include <QObject>
#include <QString>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

namespace chronus::app {
class Recorder;
}

namespace chronus::editor {

class RecordingControl : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("the controller's `recording`")

    Q_PROPERTY(bool active READ active NOTIFY changed FINAL)
    Q_PROPERTY(QString path READ path NOTIFY changed FINAL)
    Q_PROPERTY(double seconds READ seconds NOTIFY changed FINAL)

public:
    explicit RecordingControl(QObject* parent = nullptr);

    // main() hands over the recorder it made (null: recording is not available).
    void setRecorder(app::Recorder* recorder);
    bool active() const;
    QString path() const;
    double seconds() const;

    Q_INVOKABLE void toggle();

signals:
    void changed();
    // For the window's message line.
    void message(const QString& text);

private:
    app::Recorder* m_recorder = nullptr;
    QTimer m_timer;
    bool m_lastActive = false;
    QString m_lastPath;
};

} // namespace chronus::editor
