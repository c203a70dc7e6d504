#include "AudioSettings.hpp"

#include "audio/MidiFeed.hpp"
#include "audio/RtAudioDriver.hpp"
#include "engine/Types.hpp"

#include <QSettings>

#include <algorithm>

namespace chronus::editor {

namespace {
const QString kAudioGroup = QStringLiteral("audio");
const QStringList kBackends{QStringLiteral("auto"), QStringLiteral("jack"), QStringLiteral("pulse"),
                            QStringLiteral("alsa"), QStringLiteral("null")};
} // namespace

AudioSettings::AudioSettings(QObject* parent) : QObject(parent) {}

void AudioSettings::setDescription(const QString& text, bool isNull) {
    if (text == m_description && isNull == m_isNull)
        return;
    m_description = text;
    m_isNull = isNull;
    emit descriptionChanged();
}

void AudioSettings::setOscDescription(const QString& text) {
    if (text == m_oscDescription)
        return;
    m_oscDescription = text;
    emit descriptionChanged();
}

QVariantMap AudioSettings::settings() const {
    QSettings settings;
    settings.beginGroup(kAudioGroup);
    return {{QStringLiteral("backend"), settings.value(QStringLiteral("backend"), QStringLiteral("auto"))},
            {QStringLiteral("device"), settings.value(QStringLiteral("device"), QString())},
            {QStringLiteral("sampleRate"), settings.value(QStringLiteral("sampleRate"), 48000)},
            {QStringLiteral("blockSize"), settings.value(QStringLiteral("blockSize"), 64)}};
}

void AudioSettings::setMidi(audio::MidiFeed* midi) {
    m_midi = midi;
    emit midiChanged();
}

QString AudioSettings::midiIn() const {
    if (m_midi) {
        const std::string requested = m_midi->requested();
        return requested.empty() ? QStringLiteral("none") : QString::fromStdString(requested);
    }
    return QSettings().value(QStringLiteral("midi/in"), QStringLiteral("none")).toString();
}

QStringList AudioSettings::midiSources() const {
    QStringList names{QStringLiteral("none"), QStringLiteral("auto")};
    if (auto ports = audio::MidiInput::listPorts(audio::MidiApi::Auto))
        for (const audio::MidiPort& p : ports.value())
            names << QString::fromStdString(p.name);
    names.removeDuplicates();
    return names;
}

QString AudioSettings::midiStatus() const {
    if (!m_midi)
        return QStringLiteral("no MIDI input in this window");
    const QString requested = QString::fromStdString(m_midi->requested());
    const QString connected = QString::fromStdString(m_midi->connected());
    if (requested.isEmpty())
        return QStringLiteral("none");
    return connected.isEmpty() ? QStringLiteral("waiting for '%1' (connected when it appears)").arg(requested) : connected;
}

bool AudioSettings::setMidiIn(const QString& port) {
    const QString choice = port.trimmed().isEmpty() ? QStringLiteral("none") : port.trimmed();
    if (m_midi) {
        if (engine::Status s = m_midi->open(choice.toStdString()); !s) {
            emit message(QStringLiteral("MIDI input: ") + QString::fromStdString(s.message()));
            emit midiChanged();
            return false;
        }
    }
    QSettings().setValue(QStringLiteral("midi/in"), choice);
    emit midiChanged();
    emit message(choice == QLatin1String("none") ? QStringLiteral("MIDI input: none")
                                                 : QStringLiteral("MIDI input: %1").arg(midiStatus()));
    return true;
}

QStringList AudioSettings::backends() const { return kBackends; }

QStringList AudioSettings::devices(const QString& backend) const {
    QStringList names{QString()};
    const auto api = audio::RtAudioDriver::apiFromName(backend.toStdString());
    if (!api)
        return {};
    auto devices = audio::RtAudioDriver::listDevices(*api);
    if (devices)
        for (const audio::DeviceDescription& d : devices.value())
            names << QString::fromStdString(d.name);
    names.removeDuplicates();
    return names;
}

bool AudioSettings::save(const QString& backend, const QString& device, int sampleRate, int blockSize) {
    if (!kBackends.contains(backend)) {
        emit message(QStringLiteral("unknown audio backend '%1'").arg(backend));
        return false;
    }
    if (sampleRate < engine::kMinSampleRate || sampleRate > engine::kMaxSampleRate) {
        emit message(QStringLiteral("the sample rate must be from 22050 to 192000 Hz"));
        return false;
    }
    if (blockSize < 1 || blockSize > 8192) {
        emit message(QStringLiteral("the block size must be from 1 to 8192 frames"));
        return false;
    }
    QSettings settings;
    settings.beginGroup(kAudioGroup);
    settings.setValue(QStringLiteral("backend"), backend);
    settings.setValue(QStringLiteral("device"), device);
    settings.setValue(QStringLiteral("sampleRate"), sampleRate);
    settings.setValue(QStringLiteral("blockSize"), blockSize);
    settings.endGroup();
    emit settingsChanged();
    emit message(QStringLiteral("audio settings saved: %1, %2 Hz, %3 frames; they apply the next time Chronus starts")
                     .arg(backend)
                     .arg(sampleRate)
                     .arg(blockSize));
    return true;
}

QStringList AudioSettings::storedArguments(const QStringList& commandLine) {
    QSettings settings;
    settings.beginGroup(kAudioGroup);
    QStringList args;
    auto add = [&](const char* option, const char* key) {
        const QString flag = QStringLiteral("--") + QLatin1String(option);
        const bool given = std::any_of(commandLine.begin(), commandLine.end(), [&](const QString& a) {
            return a == flag || a.startsWith(flag + QLatin1Char('='));
        });
        const QVariant value = settings.value(QLatin1String(key));
        if (!given && value.isValid() && !value.toString().isEmpty())
            args << flag << value.toString();
    };
    add("audio", "backend");
    add("device", "device");
    add("rate", "sampleRate");
    add("block", "blockSize");
    settings.endGroup();
    const bool midiGiven = std::any_of(commandLine.begin(), commandLine.end(), [](const QString& a) {
        return a == QLatin1String("--midi-in") || a.startsWith(QLatin1String("--midi-in="));
    });
    if (const QString midi = settings.value(QStringLiteral("midi/in")).toString(); !midiGiven && !midi.isEmpty())
        args << QStringLiteral("--midi-in") << midi;
    return args;
}

} // namespace chronus::editor
