// openDriver with no audio server and no device: "auto" falls back to the null driver and says so;
// a named driver fails with a clear Status (no exception, and no JACK server started behind the
// user's back). The environment is made hermetic first, so a developer's running JACK or
// PulseAudio, or a sound card, cannot change the outcome: JACK looks for a server name nobody
// runs, PulseAudio for a socket that does not exist, ALSA reads an empty configuration.

#include "TestCallbacks.hpp"
#include "audio/OpenDriver.hpp"
#include "audio/RtAudioDriver.hpp"

#include <QCoreApplication>
#include <QTemporaryDir>
#include <QTest>

#include <jack/jack.h>

using namespace chronus::audio;

class TestOpenDriver : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void autoFallsBackToNullWithAMessage();
    void jackWithoutServerFailsClearlyAndStartsNone();
    void pulseAndAlsaWithoutDeviceFailClearly();
    void unknownDriverNameIsAnError();
    void nullByNameOpensWithoutAMessage();
    void listDevicesWithoutDevicesIsEmpty();

private:
    QTemporaryDir m_dir;
    QByteArray m_jackServer;
};

void TestOpenDriver::initTestCase() {
    QVERIFY(m_dir.isValid());
    m_jackServer = "chronus-absent-" + QByteArray::number(QCoreApplication::applicationPid());
    qputenv("JACK_DEFAULT_SERVER", m_jackServer);
    qputenv("PULSE_SERVER", QFile::encodeName("unix:" + m_dir.filePath("no-pulse-here")));
    const QString emptyAlsaConfig = m_dir.filePath("asound.conf");
    QFile file(emptyAlsaConfig);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    qputenv("ALSA_CONFIG_PATH", QFile::encodeName(emptyAlsaConfig));
}

void TestOpenDriver::autoFallsBackToNullWithAMessage() {
    DriverConfig config;
    config.sampleRate = 44100.0;
    config.blockSize = 128;
    auto opened = openDriver("auto", config);
    QVERIFY2(opened.ok(), opened.status().message().c_str());
    AudioDriver& driver = *opened.value().driver;
    const std::string& message = opened.value().message;
    qInfo("auto: %s", message.c_str());
    QCOMPARE(driver.name(), std::string("null"));
    QVERIFY(message.find("no audio device found; using the null driver (no sound)") != std::string::npos);
    QVERIFY(message.find("no JACK server running") != std::string::npos); // and why
    QVERIFY(driver.isOpen());
    QCOMPARE(driver.sampleRate(), 44100.0);
    QCOMPARE(driver.blockSize(), 128);

    chronus::test::SineCallback callback(440.0, 0.5f);
    QVERIFY(driver.start(callback).ok());
    QTRY_VERIFY_WITH_TIMEOUT(callback.calls() >= 3, 5000);
    driver.stop();
    QCOMPARE(callback.maxFrames(), 128);
}

void TestOpenDriver::jackWithoutServerFailsClearlyAndStartsNone() {
    auto opened = openDriver("jack", DriverConfig{});
    QVERIFY(!opened.ok());
    const std::string& message = opened.status().message();
    qInfo("jack: %s", message.c_str());
    QVERIFY2(message.find("no JACK server running") != std::string::npos, message.c_str());
    QVERIFY2(message.find(m_jackServer.toStdString()) != std::string::npos, "names the server it looked for");

    // No server was started on our behalf: a client still finds none.
    jack_status_t status{};
    jack_client_t* client = jack_client_open("chronus-probe", JackNoStartServer, &status);
    if (client != nullptr)
        jack_client_close(client);
    QVERIFY2(client == nullptr, "a JACK server is running after openDriver(\"jack\") failed");
}

void TestOpenDriver::pulseAndAlsaWithoutDeviceFailClearly() {
    for (const char* name : {"pulse", "alsa"}) {
        auto opened = openDriver(name, DriverConfig{});
        QVERIFY2(!opened.ok(), name);
        const std::string& message = opened.status().message();
        qInfo("%s: %s", name, message.c_str());
        QVERIFY(message.rfind(std::string(name) + ": ", 0) == 0); // says which API failed
    }
}

void TestOpenDriver::unknownDriverNameIsAnError() {
    auto opened = openDriver("coreaudio", DriverConfig{});
    QVERIFY(!opened.ok());
    QCOMPARE(opened.status().code(), chronus::engine::ErrorCode::InvalidArgument);
    QVERIFY(opened.status().message().find("coreaudio") != std::string::npos);
}

void TestOpenDriver::nullByNameOpensWithoutAMessage() {
    auto opened = openDriver("null", DriverConfig{});
    QVERIFY(opened.ok());
    QCOMPARE(opened.value().driver->name(), std::string("null"));
    QVERIFY(opened.value().message.empty());
    QVERIFY(!openDriver("null", [] {
                DriverConfig c;
                c.blockSize = -5;
                return c;
            }())
                 .ok());
}

void TestOpenDriver::listDevicesWithoutDevicesIsEmpty() {
    for (const auto api : {RtAudioDriver::Api::Auto, RtAudioDriver::Api::Jack}) {
        auto devices = RtAudioDriver::listDevices(api);
        QVERIFY2(devices.ok(), devices.status().message().c_str());
        QVERIFY(devices.value().empty());
    }
}

QTEST_GUILESS_MAIN(TestOpenDriver)
#include "tst_audio_open_driver.moc"
