// Eight clients at once against one `chronus serve --audio null`, each on a socket and a thread of
// its own, for CHRONUS_HOSTILE_SECONDS (default 20): edits of their own modules (create, connect,
// set, delete), live changes of the playing sine, status, dumps and commits, in a random mix (the
// seed is printed). Every request gets exactly one answer, and the right one (a create's /reply
// names the module it created): each client waits for each answer, and at the end one last request
// queued behind everything finds nothing else in its inbox. Nothing deadlocks (every answer comes
// within 30 s). Afterwards the pending patch holds exactly the modules the clients were told they
// had, a last commit plays it, and serve stops cleanly (exit 0; in build-asan no sanitizer report).

#include "ServeProcess.hpp"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <chrono>
#include <map>
#include <random>
#include <set>
#include <thread>
#include <vector>

using namespace chronus::test;

namespace {

constexpr int kClients = 8;
constexpr std::size_t kMaxModulesPerClient = 12;
constexpr std::chrono::milliseconds kAnswerWithin{30000};

// What one client did and saw. Written by its own thread only; read after the join.
struct ClientLog {
    std::set<std::string> modules; // the ones serve said it created and has not deleted
    std::map<std::string, long long> answers; // "/reply /patch/create", "/error /patch/commit", ...
    std::vector<std::string> problems;
    long long requests = 0;
};

std::set<std::string> moduleIds(const std::string& patchJson) {
    std::set<std::string> ids;
    for (const QJsonValue& m : QJsonDocument::fromJson(QByteArray::fromStdString(patchJson)).object().value("modules").toArray())
        ids.insert(m.toObject().value("id").toString().toStdString());
    return ids;
}

void hammer(OscTestClient& client, int index, std::uint64_t seed, std::chrono::steady_clock::time_point until,
            ClientLog& log) {
    std::mt19937_64 rng(seed + static_cast<std::uint64_t>(index));
    const auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
    const auto anyOf = [&](const std::set<std::string>& s) { return *std::next(s.begin(), pick(static_cast<int>(s.size()))); };
    const std::string prefix = "c" + std::to_string(index) + "_";
    int next = 0;
    // Sends, waits for the one answer, checks what every answer must be; returns it (or nothing).
    const auto call = [&](const std::string& address, const OscMessage& m) -> std::optional<OscReply> {
        ++log.requests;
        auto r = client.call(address, m, {}, kAnswerWithin);
        if (!r) {
            log.problems.push_back("no answer to " + address + " within 30 s");
            return std::nullopt;
        }
        ++log.answers[r->path + " " + address];
        if (!r->isReply() && !r->isError())
            log.problems.push_back("answer neither /reply nor /error: " + r->describe().toStdString());
        return r;
    };
    while (std::chrono::steady_clock::now() < until && log.problems.size() < 10) {
        const int op = pick(100);
        if (op < 22 && log.modules.size() < kMaxModulesPerClient) {
            static const char* kTypes[] = {"sine", "saw", "vca", "svf", "delay", "adsr"};
            const std::string id = prefix + std::to_string(next++);
            if (auto r = call("/patch/create", OscMessage().s(id).s(kTypes[pick(6)]))) {
                if (r->isReply() && (r->valueCount() != 2 || r->value(0).s != id))
                    log.problems.push_back("a create of " + id + " was answered " + r->describe().toStdString());
                if (r->isReply())
                    log.modules.insert(id);
            }
        } else if (op < 34 && !log.modules.empty()) {
            const std::string id = anyOf(log.modules);
            if (auto r = call("/patch/delete", OscMessage().s(id))) {
                if (r->isReply() && (r->valueCount() != 1 || r->value(0).s != id))
                    log.problems.push_back("a delete of " + id + " was answered " + r->describe().toStdString());
                // A refusal is an answer too (the engine refuses edits for a moment after a failover
                // on a loaded machine); the module then stays, and the final check expects it.
                if (r->isReply())
                    log.modules.erase(id);
            }
        } else if (op < 44 && !log.modules.empty()) {
            // Into out or into another of its own (an input it may not have, or a cycle: refused).
            const std::string from = anyOf(log.modules);
            const std::string to = pick(2) ? std::string("out") : anyOf(log.modules);
            call("/patch/connect", OscMessage().s(from).s(to));
        } else if (op < 54 && !log.modules.empty()) {
            call("/patch/set", OscMessage().s(anyOf(log.modules)).s(pick(2) ? "freq" : "level").f(static_cast<float>(pick(2000))));
        } else if (op < 72) {
            if (auto r = call("/mod/osc1/freq", OscMessage().f(static_cast<float>(110 + pick(880)))); r && !r->isReply())
                log.problems.push_back("a live change of the playing sine was refused: " + r->describe().toStdString());
        } else if (op < 88) {
            OscMessage m;
            if (pick(2))
                m.s("json");
            if (auto r = call("/engine/status", m); r && !r->isReply())
                log.problems.push_back("status was refused: " + r->describe().toStdString());
        } else if (op < 94) {
            call("/patch/dump", OscMessage());
        } else {
            call("/patch/commit", OscMessage().f(static_cast<float>(pick(3) * 10)));
        }
    }
    // The last request, queued behind all of this client's others: after its answer nothing else
    // may arrive for them (a second answer to anything would be in the inbox by now).
    const std::string marker = prefix + "marker";
    ++log.requests;
    if (!client.send("/patch/delete", OscMessage().s(marker)) ||
        !client.waitFor("/patch/delete", kAnswerWithin,
                        [&](const OscReply& a) { return a.errorText().find(marker) != std::string::npos; }))
        log.problems.push_back("no answer to the last request");
    client.pump(0);
    for (const OscReply& extra : client.inbox())
        log.problems.push_back("an extra answer: " + extra.describe().toStdString());
    if (client.received() != client.sent())
        log.problems.push_back("sent " + std::to_string(client.sent()) + " requests, got " +
                               std::to_string(client.received()) + " answers");
}

} // namespace

class TestHostileClients : public QObject {
    Q_OBJECT

private slots:
    void eightClientsEachGetOneAnswerPerRequest();
};

void TestHostileClients::eightClientsEachGetOneAnswerPerRequest() {
    const long long seconds = envCount("CHRONUS_HOSTILE_SECONDS", 20);
    const std::uint64_t seed = qEnvironmentVariableIsSet("CHRONUS_HOSTILE_SEED")
                                   ? qgetenv("CHRONUS_HOSTILE_SEED").toULongLong(nullptr, 0)
                                   : 0xC11E5757ull;
    qInfo("%d clients for %lld s, seed 0x%llx (CHRONUS_HOSTILE_SECONDS, CHRONUS_HOSTILE_SEED)", kClients, seconds,
          static_cast<unsigned long long>(seed));
    // serve is started (a fork) before any thread of this test exists.
    ServeProcess serve;
    const std::string why = serve.start();
    QVERIFY2(why.empty(), why.c_str());
    for (const OscReply& r : {serve.ask("/patch/create", OscMessage().s("osc1").s("sine")),
                              serve.ask("/patch/connect", OscMessage().s("osc1").s("out")), serve.ask("/patch/commit")})
        QVERIFY2(r.isReply(), r.describe().constData());
    const long long rssStart = serve.rssKiB();

    std::vector<std::unique_ptr<OscTestClient>> clients;
    for (int i = 0; i < kClients; ++i) {
        clients.push_back(std::make_unique<OscTestClient>(serve.port()));
        QVERIFY(clients.back()->valid());
    }
    std::vector<ClientLog> logs(kClients);
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    {
        std::vector<std::jthread> threads;
        for (int i = 0; i < kClients; ++i)
            threads.emplace_back([&, i] { hammer(*clients[static_cast<std::size_t>(i)], i, seed, until, logs[static_cast<std::size_t>(i)]); });
    }

    long long requests = 0;
    std::map<std::string, long long> answers;
    std::set<std::string> expected{"osc1"};
    QStringList problems;
    for (int i = 0; i < kClients; ++i) {
        const ClientLog& log = logs[static_cast<std::size_t>(i)];
        requests += log.requests;
        for (const auto& [kind, n] : log.answers)
            answers[kind] += n;
        expected.insert(log.modules.begin(), log.modules.end());
        for (const std::string& p : log.problems)
            problems << QStringLiteral("client %1: %2").arg(i).arg(QString::fromStdString(p));
    }
    QString summary;
    for (const auto& [kind, n] : answers)
        summary += QStringLiteral("%1 %2; ").arg(QString::fromStdString(kind)).arg(n);
    qInfo("%lld requests in %lld s (%.0f/s): %s", requests, seconds, static_cast<double>(requests) / static_cast<double>(seconds),
          qPrintable(summary));
    for (const QString& p : problems.mid(0, 20))
        qWarning("%s", qPrintable(p));
    QVERIFY2(problems.isEmpty(), qPrintable(QStringLiteral("%1 problems (above)").arg(problems.size())));
    QVERIFY2(answers["/reply /patch/commit"] > 0, "no commit went through");
    QVERIFY2(answers["/reply /patch/create"] > 0, "no create went through");

    // The final state: exactly the modules the clients were told they have (and osc1, and out as
    // the dump writes it); a last commit makes it what plays.
    auto [pending, committed] = serve.dump();
    std::set<std::string> inPending = moduleIds(pending);
    inPending.erase("out");
    QCOMPARE(inPending, expected);
    const OscReply commit = serve.ask("/patch/commit", OscMessage().f(0.0f));
    QVERIFY2(commit.isReply(), commit.describe().constData());
    std::tie(pending, committed) = serve.dump();
    QCOMPARE(committed, pending);
    const long long rssEnd = serve.rssKiB();
    qInfo("%zu modules at the end; serve's resident memory %lld KiB before, %lld KiB after", expected.size(), rssStart, rssEnd);
    STOP_SERVE_CLEANLY(serve);
    // serve's own count of the requests it answered (its last line).
    qInfo("%s", qPrintable(serve.out().trimmed().section('\n', -1)));
}

QTEST_GUILESS_MAIN(TestHostileClients)
#include "tst_hostile_clients.moc"
