#pragma once
// The editor's audio settings (backend, device, sample rate, block size), kept in QSettings: the
// next start uses them unless the command line says otherwise. The MIDI input too, which changes
// at once (the same door as --midi-in and /midi/in: the editor's MidiFeed) and is kept for the next
// start. Also what the window says of the audio that runs now and of the OSC server. QML reaches
// it as Editor.audio.
// GUI thread only (the patch controller's thread, which the OSC server's /midi/in also uses).

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

namespace chronus::audio {
class MidiFeed;
}

namespace chronus::editor {

class AudioSettings : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("the controller's `audio`")

    // {backend, device, sampleRate, blockSize} as stored (defaults when nothing is).
    Q_PROPERTY(QVariantMap settings READ settings NOTIFY settingsChanged FINAL)
    // "null driver: no audio device found (no sound)", "jack (system), 48000 Hz, 64 frames", ...
    Q_PROPERTY(QString description READ description NOTIFY descriptionChanged FINAL)
    Q_PROPERTY(bool isNull READ isNull NOTIFY descriptionChanged FINAL)
    // "OSC 127.0.0.1:5005" or "" when the editor runs no OSC server.
    Q_PROPERTY(QString oscDescription READ oscDescription NOTIFY descriptionChanged FINAL)
    // What the MIDI input listens for: "none", "auto" or a port name (or part of one).
    Q_PROPERTY(QString midiIn READ midiIn NOTIFY midiChanged FINAL)

public:
    explicit AudioSettings(QObject* parent = nullptr);

    QVariantMap settings() const;
    QString description() const { return m_description; }
    bool isNull() const noexcept { return m_isNull; }
    QString oscDescription() const { return m_oscDescription; }
    void setDescription(const QString& text, bool isNull);
    void setOscDescription(const QString& text);

    // The editor's MIDI input (null: none, e.g. in tests; then setMidiIn only stores the choice).
    void setMidi(audio::MidiFeed* midi);
    QString midiIn() const;
    // "none", "auto", then the MIDI sources there are now (JACK MIDI while a JACK server runs, else
    // ALSA), hardware first.
    Q_INVOKABLE QStringList midiSources() const;
    // "keys:out", "waiting for 'keys' (connected when it appears)", "none".
    Q_INVOKABLE QString midiStatus() const;
    // Listens to `port` ("none", "auto", a name) now, and stores it for the next start; says so
    // (message), or why not.
    Q_INVOKABLE bool setMidiIn(const QString& port);

    Q_INVOKABLE QStringList backends() const;
    // Output device names of a backend ("" = the default output first). Empty for "null".
    Q_INVOKABLE QStringList devices(const QString& backend) const;
    // Validates and stores; says (message) that it applies at the next start, or why not.
    Q_INVOKABLE bool save(const QString& backend, const QString& device, int sampleRate, int blockSize);
    // The stored settings as command-line options, for the options the command line left out.
    static QStringList storedArguments(const QStringList& commandLine);

signals:
    void settingsChanged();
    void descriptionChanged();
    void midiChanged();
    // For the window's message line.
    void message(const QString& text);

private:
    QString m_description;
    QString m_oscDescription;
    bool m_isNull = false;
    audio::MidiFeed* m_midi = nullptr;
};

} // namespace chronus::editor
