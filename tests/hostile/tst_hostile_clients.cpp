// Eight clients at once against one `chronus serve --audio null`, each on a socket of its own, for
// CHRONUS_HOSTILE_SECONDS (default 20): edits of their own modules (create, connect, set, delete),
// live changes of the playing sine, status, dumps and commits, in a random mix (the
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

#include <poll.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <set>
#include <utility>
#include <vector>

using namespace chronus::test;

namespace {

constexpr int kClients = 8;
constexpr std::size_t kMaxModulesPerClient = 12;
constexpr std::chrono::milliseconds kAnswerWithin{30000};

// What one client did and saw.
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

// One client: its own socket, its own random mix, at most one request outstanding (it sends the
// next when the answer to the last has come). All eight are driven from this thread with poll(), so
// serve sees eight senders at once while the test itself starts no thread: ThreadSanitizer refuses
// threads in a process that has forked (serve) while multi-threaded, and the races that matter are
// serve's own, checked when serve is built with it.
class Hammer {
public:
    Hammer(OscTestClient& client, int index, std::uint64_t seed)
        : m_client(client), m_rng(seed + static_cast<std::uint64_t>(index)), m_prefix("c" + std::to_string(index) + "_") {}

    bool finished() const { return m_finished; }
    const ClientLog& log() const { return m_log; }

    // Sends the next request (or, past `until`, the last one) unless one is outstanding.
    void sendNext(std::chrono::steady_clock::time_point until) {
        if (m_finished || !m_address.empty())
            return;
        if (std::chrono::steady_clock::now() >= until || m_log.problems.size() >= 10) {
            // The last request, queued behind all of this client's others: after its answer
            // nothing else may arrive for them (a second answer to anything would be here by now).
            m_marker = m_prefix + "marker";
            send("/patch/delete", OscMessage().s(m_marker));
            return;
        }
        const int op = pick(100);
        if (op < 22 && m_log.modules.size() < kMaxModulesPerClient) {
            static const char* kTypes[] = {"sine", "saw", "vca", "svf", "delay", "adsr"};
            m_id = m_prefix + std::to_string(m_next++);
            send("/patch/create", OscMessage().s(m_id).s(kTypes[pick(6)]));
        } else if (op < 34 && !m_log.modules.empty()) {
            m_id = anyModule();
            send("/patch/delete", OscMessage().s(m_id));
        } else if (op < 44 && !m_log.modules.empty()) {
            // Into out or into another of its own (an input it may not have, or a cycle: refused).
            const std::string from = anyModule();
            send("/patch/connect", OscMessage().s(from).s(pick(2) ? std::string("out") : anyModule()));
        } else if (op < 54 && !m_log.modules.empty()) {
            send("/patch/set", OscMessage().s(anyModule()).s(pick(2) ? "freq" : "level").f(static_cast<float>(pick(2000))));
        } else if (op < 72) {
            send("/mod/osc1/freq", OscMessage().f(static_cast<float>(110 + pick(880))));
        } else if (op < 88) {
            OscMessage m;
            if (pick(2))
                m.s("json");
            send("/engine/status", m);
        } else if (op < 94) {
            send("/patch/dump", OscMessage());
        } else {
            send("/patch/commit", OscMessage().f(static_cast<float>(pick(3) * 10)));
        }
    }

    // Takes in what has arrived; handles the answer to the outstanding request if it is there.
    void receive() {
        if (m_finished)
            return;
        m_client.pump(0);
        if (m_address.empty())
            return;
        const auto r = m_client.waitFor(m_address, std::chrono::milliseconds(0), [&](const OscReply& a) {
            return m_marker.empty() || a.errorText().find(m_marker) != std::string::npos;
        });
        if (!r) {
            if (std::chrono::steady_clock::now() - m_sentAt > kAnswerWithin) {
                m_log.problems.push_back("no answer to " + m_address + " within 30 s");
                m_finished = true;
            }
            return;
        }
        const std::string address = std::exchange(m_address, {});
        ++m_log.answers[r->path + " " + address];
        if (!r->isReply() && !r->isError())
            m_log.problems.push_back("answer neither /reply nor /error: " + r->describe().toStdString());
        if (!m_marker.empty()) {
            finish();
        } else if (address == "/patch/create" && r->isReply()) {
            if (r->valueCount() != 2 || r->value(0).s != m_id)
                m_log.problems.push_back("a create of " + m_id + " was answered " + r->describe().toStdString());
            m_log.modules.insert(m_id);
        } else if (address == "/patch/delete" && r->isReply()) {
            // A refusal is an answer too (the engine refuses edits for a moment after a failover
            // on a loaded machine); the module then stays, and the final check expects it.
            if (r->valueCount() != 1 || r->value(0).s != m_id)
                m_log.problems.push_back("a delete of " + m_id + " was answered " + r->describe().toStdString());
            m_log.modules.erase(m_id);
        } else if ((address == "/mod/osc1/freq" || address == "/engine/status") && !r->isReply()) {
            m_log.problems.push_back(address + " was refused: " + r->describe().toStdString());
        }
    }

private:
    int pick(int n) { return static_cast<int>(m_rng() % static_cast<std::uint64_t>(n)); }
    std::string anyModule() {
        return *std::next(m_log.modules.begin(), pick(static_cast<int>(m_log.modules.size())));
    }
    void send(const std::string& address, const OscMessage& m) {
        ++m_log.requests;
        m_address = address;
        m_sentAt = std::chrono::steady_clock::now();
        if (!m_client.send(address, m)) {
            m_log.problems.push_back("could not send " + address);
            m_finished = true;
        }
    }
    void finish() {
        m_finished = true;
        m_client.pump(0);
        for (const OscReply& extra : m_client.inbox())
            m_log.problems.push_back("an extra answer: " + extra.describe().toStdString());
        if (m_client.received() != m_client.sent())
            m_log.problems.push_back("sent " + std::to_string(m_client.sent()) + " requests, got " +
                                     std::to_string(m_client.received()) + " answers");
    }

    OscTestClient& m_client;
    std::mt19937_64 m_rng;
    std::string m_prefix;
    ClientLog m_log;
    int m_next = 0;
    std::string m_address; // of the outstanding request; empty when none
    std::string m_id;      // the module it creates or deletes
    std::string m_marker;  // the last request's module name, once sent
    std::chrono::steady_clock::time_point m_sentAt;
    bool m_finished = false;
};

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
    std::vector<Hammer> hammers;
    std::vector<pollfd> fds;
    for (int i = 0; i < kClients; ++i) {
        hammers.emplace_back(*clients[static_cast<std::size_t>(i)], i, seed);
        fds.push_back({clients[static_cast<std::size_t>(i)]->fd(), POLLIN, 0});
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::any_of(hammers.begin(), hammers.end(), [](const Hammer& h) { return !h.finished(); })) {
        for (Hammer& h : hammers)
            h.sendNext(until);
        (void)::poll(fds.data(), fds.size(), 20);
        for (Hammer& h : hammers)
            h.receive();
    }
    std::vector<ClientLog> logs;
    for (const Hammer& h : hammers)
        logs.push_back(h.log());

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
    // (Sent again if refused: on a loaded machine a prime may time out; up to three times.)
    OscReply commit = serve.ask("/patch/commit", OscMessage().f(0.0f));
    for (int again = 0; again < 2 && commit.isError(); ++again)
        commit = serve.ask("/patch/commit", OscMessage().f(0.0f));
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
