// A million fuzzed OSC datagrams against `chronus serve --audio null` (the OSC fuzzer of
// tests/osc/OscFuzzer.hpp: mutations of valid requests — truncated, wrong type tags, huge strings,
// broken length fields — random bytes, OSC-looking noise, bundles nested up to 3,000 deep). Sent in
// bursts, each followed by a request that must be answered, so a server that stops answering is
// caught at the burst that did it. Afterwards serve answers a valid request correctly, the playing
// patch is the one from before, its resident memory grew by less than a stated bound, and it stops
// cleanly (exit 0; in build-asan no sanitizer report, leaks included).
//
// CHRONUS_HOSTILE_DATAGRAMS sets the count (default 1,000,000), CHRONUS_HOSTILE_SEED the seed
// (printed; reproduce a failure with both).

#include "ServeProcess.hpp"
#include "osc/OscFuzzer.hpp"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <chrono>

using namespace chronus::test;

namespace {

constexpr std::uint64_t kDefaultSeed = 0x5E12E0F0CC1A7Eull;
constexpr int kBurst = 48;      // datagrams between two answered requests
constexpr int kClearEvery = 40; // bursts between two /patch/clear (the pending patch stays small)
// Resident memory may grow by this much from the first tenth of the run to its end: caches warming
// up (Qt's, the allocator's arenas), never a leak that grows with the count (a leak of even 100
// bytes a datagram would be 90 MB here). Measured: 35,280 KiB after a tenth, 35,488 at the end.
constexpr long long kRssGrowthBoundKiB = 16 * 1024;

} // namespace

class TestHostileOscFuzz : public QObject {
    Q_OBJECT

private slots:
    void serveSurvivesAMillionFuzzedDatagrams();
};

void TestHostileOscFuzz::serveSurvivesAMillionFuzzedDatagrams() {
    const std::uint64_t seed = qEnvironmentVariableIsSet("CHRONUS_HOSTILE_SEED")
                                   ? qgetenv("CHRONUS_HOSTILE_SEED").toULongLong(nullptr, 0)
                                   : kDefaultSeed;
    const long long packets = envCount("CHRONUS_HOSTILE_DATAGRAMS", 1000000);
    qInfo("seed 0x%llx, %lld datagrams (CHRONUS_HOSTILE_SEED, CHRONUS_HOSTILE_DATAGRAMS)",
          static_cast<unsigned long long>(seed), packets);

    ServeProcess serve;
    const std::string why = serve.start();
    QVERIFY2(why.empty(), why.c_str());
    OscTestClient& client = serve.client();
    const std::string setUp = serve.playSineWithPendingSaw(); // a sine playing, a saw pending
    QVERIFY2(setUp.empty(), setUp.c_str());
    const std::string committed = serve.dump().second;
    QVERIFY(!committed.empty());
    const long long rssStart = serve.rssKiB();

    // Waits until serve's controller has answered everything sent so far: a delete of a module
    // that cannot exist, named for the occasion, is queued behind the rest.
    const auto drainController = [&](const std::string& marker) {
        const std::string id = "marker_" + marker;
        return client.send("/patch/delete", OscMessage().s(id)) &&
               client.waitFor("/patch/delete", std::chrono::milliseconds(60000),
                              [&](const OscReply& r) { return r.errorText().find(id) != std::string::npos; })
                   .has_value();
    };

    Fuzzer fuzzer(seed);
    long long sent = 0, skipped = 0, bytes = 0, rssAtTenth = -1, rssPeak = rssStart;
    int burst = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (sent < packets) {
        for (int k = 0; k < kBurst && sent < packets; ++k) {
            const Bytes b = fuzzer.next();
            if (couldTouchTheCommittedPatch(b)) {
                ++skipped;
                continue;
            }
            ++sent;
            bytes += static_cast<long long>(b.size());
            (void)client.sendRaw(b);
        }
        ++burst;
        const std::string sync = "/sync/" + std::to_string(burst);
        const OscReply r = serve.ask(sync, OscMessage(), std::chrono::milliseconds(30000));
        if (!r.isError() || r.errorText().find("unknown address") == std::string::npos)
            QFAIL(qPrintable(QStringLiteral("burst %1 (datagrams %2-%3, seed 0x%4): serve did not answer: %5; "
                                            "running: %6; stderr:\n%7")
                                 .arg(burst)
                                 .arg(sent - kBurst)
                                 .arg(sent)
                                 .arg(seed, 0, 16)
                                 .arg(QString::fromUtf8(r.describe()))
                                 .arg(serve.running())
                                 .arg(serve.err().right(3000))));
        if (burst % kClearEvery == 0) {
            QVERIFY(client.send("/patch/clear"));
            QVERIFY2(drainController("clear" + std::to_string(burst)),
                     qPrintable(QStringLiteral("burst %1: the controller did not answer").arg(burst)));
            const long long rss = serve.rssKiB();
            rssPeak = std::max(rssPeak, rss);
            if (rssAtTenth < 0 && sent >= packets / 10)
                rssAtTenth = rss;
        }
        client.inbox().clear();
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    QVERIFY2(drainController("end"), "the controller did not answer after the run");
    client.inbox().clear();
    const long long rssEnd = serve.rssKiB();
    if (rssAtTenth < 0)
        rssAtTenth = rssStart;
    qInfo("%lld datagrams (%.1f MB) in %.1f s (%.0f/s), %lld skipped as able to commit; serve's resident memory "
          "%lld KiB at the start, %lld after a tenth, %lld at the end, %lld at most",
          sent, static_cast<double>(bytes) / 1e6, seconds, static_cast<double>(sent) / seconds, skipped, rssStart,
          rssAtTenth, rssEnd, rssPeak);

    // A valid request, answered correctly; the playing patch untouched; a new edit works.
    const OscReply status = serve.ask("/engine/status", OscMessage().s("json"));
    QVERIFY2(status.isReply() && status.valueCount() == 1, status.describe().constData());
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(status.value(0).s)).object();
    QCOMPARE(o.value("driver").toString(), QStringLiteral("null"));
    QCOMPARE(serve.dump().second, committed);
    const OscReply create = serve.ask("/patch/create", OscMessage().s("after").s("simple_sine"));
    QVERIFY2(create.isReply() && create.valueCount() == 2 && create.value(1).s == "sine", create.describe().constData());
    VERIFY_RSS_GROWTH(rssPeak - rssAtTenth, kRssGrowthBoundKiB, "after the first tenth of the datagrams");

    STOP_SERVE_CLEANLY(serve);
    // serve's own count: every datagram it took for a request was answered (its summary line).
    qInfo("%s", qPrintable(serve.out().trimmed().section('\n', -1)));
}

QTEST_GUILESS_MAIN(TestHostileOscFuzz)
#include "tst_hostile_osc_fuzz.moc"
