#pragma once
// The editor's audio settings (backend, device, sample rate, block size), kept in QSettings: the
// next start uses them unless the command line says otherwise. Also what the window says of the
// audio that runs now and of the OSC server. QML reaches it as Editor.audio.
// GUI thread only.

#include <QObject>
#include <QString>
#include <QStringList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

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

public:
    explicit AudioSettings(QObject* parent = nullptr);

    QVariantMap settings() const;
    QString description() const { return m_description; }
    bool isNull() const noexcept { return m_isNull; }
    QString oscDescription() const { return m_oscDescription; }
    void setDescription(const QString& text, bool isNull);
    void setOscDescription(const QString& text);

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
    // For the window's message line.
    void message(const QString& text);

private:
    QString m_description;
    QString m_oscDescription;
    bool m_isNull = false;
};

} // namespace chronus::editor
