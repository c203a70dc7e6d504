// OSC over TCP (each packet framed by its size, int32 big-endian, as OSC 1.0 streams and liblo's
// LO_TCP do) and request ids, against the real server on loopback with the engine playing: a reply
// of any size comes back over TCP (the dump of a 500-module wired patch, which no datagram holds);
// a request id comes back with the answer, over UDP and TCP; a connection from outside the
// allow-list is closed unanswered; and what a client can do to the server is bounded: a frame announced too large, one connection too many, a client that never reads its
// replies, a half-sent frame, each ends that client's connection, never another client's answers.

#include "OscTestClient.hpp"

#include "app/PatchFile.hpp"

#include <QFile>
#include <QProcess>
#include <QStandardPaths>
#include <QTest>

#include <arpa/inet.h>
#include <ifaddrs.h>

#include <chrono>
#include <string>
#include <vector>

using namespace chronus;
using chronus::test::OscMessage;
using chronus::test::OscReply;
using chronus::test::OscRig;
using chronus::test::OscTcpClient;
namespace raw = chronus::test::raw;
using namespace std::chrono_literals;

namespace {

using Msg = OscMessage;
using engine::Status;

// The answer, or a stand-in that says there was none (a value: the checks bind references to it).
OscReply answer(std::optional<OscReply> r) {
    return r ? std::move(*r) : OscReply{"(no answer within 5 s)", {}, {}};
}

// This process's resident memory in kB (the server runs in it).
long residentKb() {
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLong();
    return -1;
}

// Waits until `done` holds, up to `timeout`: the server acts on its own thread.
template <class F> bool eventually(F done, std::chrono::milliseconds timeout = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        QTest::qWait(5);
    }
    return true;
}

// An IPv4 address of this machine that is not loopback, or 0 when it has none (network byte order).
in_addr_t ownNetworkAddress() {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        return 0;
    in_addr_t found = 0;
    for (ifaddrs* i = list; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET) {
            const in_addr_t a = reinterpret_cast<const sockaddr_in*>(i->ifa_addr)->sin_addr.s_addr;
            if ((ntohl(a) >> 24) != 127)
                found = a;
        }
    ::freeifaddrs(list);
    return found;
}

// A patch of `modules` sines, each into the next one's fm, the last into the output.
void buildWiredPatch(OscRig& rig, int modules) {
    for (int i = 0; i < modules; ++i) {
        const Status s = rig.engine.addModule("module_" + std::to_string(i), "sine");
        QVERIFY2(s.ok(), s.message().c_str());
    }
    for (int i = 0; i + 1 < modules; ++i) {
        const Status s = rig.engine.connect("module_" + std::to_string(i), "module_" + std::to_string(i + 1) + ".fm");
        QVERIFY2(s.ok(), s.message().c_str());
    }
    QVERIFY(rig.engine.connect("module_" + std::to_string(modules - 1), "out").ok());
}

} // namespace

class TestOscTcp : public QObject {
    Q_OBJECT

private slots:
    void bigWiredPatchDumpsOverTcp();
    void dumpsAroundAPowerOfTwoAreWhole();
    void requestIdsAreEchoedOverUdpAndTcp();
    void framesAcrossWritesAndSeveralInOneWrite();
    void oversizedFrameClosesOnlyThatConnection();
    void connectionsAreBounded();
    void connectionsFromOutsideTheAllowListAreRefused();
    void clientThatNeverReadsIsBounded();
    void stalledClientsAreDropped();
    void libloTcpClientIsServed();
};

// The dump of a 500-module wired patch (pending and committed: ~100 kB of compact JSON) comes back
// whole over TCP and parses as the same patches; over UDP the error says to use TCP.
void TestOscTcp::bigWiredPatchDumpsOverTcp() {
    OscRig rig;
    START_RIG(rig);
    buildWiredPatch(rig, 500);
    if (QTest::currentTestFailed())
        return;
    const auto committed = rig.engine.commit(0.0);
    QVERIFY2(committed.ok(), committed.status().message().c_str());
    QVERIFY(rig.engine.addModule("pending_only", "saw").ok()); // pending != committed

    OscTcpClient tcp(rig.server->port());
    QVERIFY(tcp.valid());
    const auto dump = tcp.call("/patch/dump");
    QVERIFY2(dump && dump->isReply(), dump ? dump->describe().constData() : "no answer over TCP");
    QCOMPARE(dump->valueCount(), std::size_t{2});
    const std::size_t bytes = dump->value(0).s.size() + dump->value(1).s.size();
    qInfo("/patch/dump of 500 wired modules over TCP: %zu bytes of JSON", bytes);
    QVERIFY(bytes > 65507); // more than any datagram holds
    for (std::size_t n = 0; n < 2; ++n) {
        const std::string& json = dump->value(n).s;
        QVERIFY2(json.find('\n') == std::string::npos, "the dump is not compact JSON");
        auto parsed = app::parsePatch(QByteArray::fromStdString(json), "dump");
        QVERIFY2(parsed.ok(), parsed.status().message().c_str());
        QVERIFY(parsed->graph == (n == 0 ? rig.engine.pending() : rig.engine.committed()));
    }
    QCOMPARE(rig.engine.committed().nodes().size(), std::size_t{501}); // with the output module
    QCOMPARE(rig.engine.committed().cables().size(), std::size_t{501}); // 499 fm cables, 2 into out

    const auto udp = rig.client->call("/patch/dump");
    QVERIFY2(udp && udp->isError(), udp ? udp->describe().constData() : "no answer over UDP");
    QVERIFY2(udp->errorText().find("too large") != std::string::npos &&
                 udp->errorText().find("use TCP (ctl does)") != std::string::npos,
             udp->describe().constData());
}

// Replies just over 128 kB: liblo 0.31's lo_message_add_string sizes its buffer with an approximate
// log2 and writes past it there (AddressSanitizer: heap-buffer-overflow), so the server serialises
// replies itself. The pending patch is grown until its dump passes 2^17 bytes in steps of one byte
// (the last module's id, 1 to 64 characters); every dump comes back whole and parses as the patch.
void TestOscTcp::dumpsAroundAPowerOfTwoAreWhole() {
    OscRig rig;
    START_RIG(rig);
    const auto dumpSize = [&] { return app::serializePatch(rig.engine.pending(), app::JsonLayout::Compact).size(); };
    constexpr std::size_t kTarget = 1u << 17;
    // ~120 bytes a module; measured every 20 while far from the target (each measure is a dump).
    for (int i = 0; dumpSize() + 400 < kTarget;) {
        const int batch = dumpSize() + 4000 < kTarget ? 20 : 1;
        for (int k = 0; k < batch; ++k, ++i) {
            char id[64];
            std::snprintf(id, sizeof id, "a_module_with_a_long_name_to_fill_the_dump_quickly_%06d", i);
            QVERIFY(rig.engine.addModule(id, "sine").ok());
        }
    }
    // What a sine with an id of n characters adds: base + n.
    const std::size_t before = dumpSize();
    QVERIFY(rig.engine.addModule("zz", "sine").ok());
    const std::size_t base = dumpSize() - before - 2;
    QVERIFY(rig.engine.removeModule("zz").ok());
    // Then modules of measured size up to base + 32 below the target, so that the sweep below (ids
    // of 1 to 64 characters) passes the target by some 30 bytes each way.
    for (int i = 0;; ++i) {
        const std::size_t size = dumpSize();
        QVERIFY(size + base + 32 <= kTarget + 4);
        const std::size_t gap = kTarget - base - 32 - size;
        if (gap < base + 4)
            break;
        const std::size_t length = std::max<std::size_t>(gap - base <= 64 ? gap - base : std::min<std::size_t>(64, gap - 2 * base - 4), 4);
        std::string id = "f" + std::to_string(i) + "_";
        id.resize(length, 'f');
        QVERIFY(rig.engine.addModule(id, "sine").ok());
    }
    OscTcpClient tcp(rig.server->port());
    QVERIFY(tcp.valid());
    std::size_t smallest = SIZE_MAX, largest = 0;
    for (int length = 1; length <= 64; ++length) {
        const std::string id(static_cast<std::size_t>(length), 'z');
        QVERIFY(rig.engine.addModule(id, "sine").ok());
        const std::size_t bytes = dumpSize();
        smallest = std::min(smallest, bytes);
        largest = std::max(largest, bytes);
        const auto dump = tcp.call("/patch/dump");
        QVERIFY2(dump && dump->isReply() && dump->valueCount() == 2, dump ? dump->describe().constData() : "no answer");
        auto parsed = app::parsePatch(QByteArray::fromStdString(dump->value(0).s), "dump");
        QVERIFY2(parsed.ok(), parsed.status().message().c_str());
        QVERIFY(parsed->graph == rig.engine.pending());
        QVERIFY(rig.engine.removeModule(id).ok());
    }
    qInfo("dumps of %zu to %zu bytes, each whole", smallest, largest);
    QVERIFY(smallest + 8 < kTarget && largest > kTarget + 8);
}

// A bundle led by `/request/id <id>` is answered by a bundle led by the same id, for requests the
// network thread answers (status) and those the controller does (create), over UDP and TCP; an
// untagged request gets a plain message; a misplaced id is an error that says where it goes.
void TestOscTcp::requestIdsAreEchoedOverUdpAndTcp() {
    OscRig rig;
    START_RIG(rig);
    // UDP
    QVERIFY(rig.client->sendRaw(raw::tagged(41, Msg().serialise("/engine/status"))));
    QVERIFY(rig.client->sendRaw(raw::tagged(-7, Msg().s("u1").s("sine").serialise("/patch/create"))));
    QVERIFY(rig.client->sendRaw(raw::tagged(43, Msg().s("nosuch").serialise("/patch/delete"))));
    const auto status = rig.client->waitFor("/engine/status");
    const auto created = rig.client->waitFor("/patch/create");
    const auto failed = rig.client->waitFor("/patch/delete");
    QVERIFY2(status && status->isReply() && status->requestId == 41, status ? status->describe().constData() : "none");
    QVERIFY2(created && created->isReply() && created->requestId == -7, created ? created->describe().constData() : "none");
    QVERIFY2(failed && failed->isError() && failed->requestId == 43, failed ? failed->describe().constData() : "none");
    const auto plain = rig.client->call("/engine/status");
    QVERIFY(plain && plain->isReply() && !plain->requestId);
    // Not first in its bundle, or alone: an error, tagged when there is a tag to echo.
    QVERIFY(rig.client->sendRaw(raw::bundle({Msg().serialise("/engine/schema"), Msg().i(5).serialise("/request/id")})));
    const auto misplaced = rig.client->waitFor("/request/id");
    QVERIFY2(misplaced && misplaced->isError() && misplaced->errorText().find("first element of a bundle") != std::string::npos,
             misplaced ? misplaced->describe().constData() : "none");
    QVERIFY(rig.client->waitFor("/engine/schema"));
    QVERIFY(rig.client->sendRaw(raw::bundle({Msg().i(9).serialise("/request/id")})));
    const auto alone = rig.client->waitFor("/request/id");
    QVERIFY2(alone && alone->isError() && alone->requestId == 9, alone ? alone->describe().constData() : "none");

    // TCP: the same, and several tagged requests on one connection come back each with its own id.
    OscTcpClient tcp(rig.server->port());
    QVERIFY(tcp.valid());
    QVERIFY(tcp.sendPacket(raw::tagged(1001, Msg().s("t1").s("saw").serialise("/patch/create"))));
    QVERIFY(tcp.sendPacket(raw::tagged(1002, Msg().serialise("/engine/status"))));
    QVERIFY(tcp.sendPacket(raw::tagged(1003, Msg().serialise("/patch/dump"))));
    const auto tcpCreated = tcp.waitFor("/patch/create");
    const auto tcpStatus = tcp.waitFor("/engine/status");
    const auto tcpDump = tcp.waitFor("/patch/dump");
    QVERIFY2(tcpCreated && tcpCreated->isReply() && tcpCreated->requestId == 1001,
             tcpCreated ? tcpCreated->describe().constData() : "none");
    QVERIFY(tcpStatus && tcpStatus->isReply() && tcpStatus->requestId == 1002);
    QVERIFY(tcpDump && tcpDump->isReply() && tcpDump->requestId == 1003);
    QVERIFY(tcpDump->value(0).s.find("\"t1\"") != std::string::npos);
    const auto tcpPlain = tcp.call("/engine/status");
    QVERIFY(tcpPlain && tcpPlain->isReply() && !tcpPlain->requestId);
    QVERIFY(rig.engine.pending().find("u1") && rig.engine.pending().find("t1"));
}

// A stream is bytes: a frame split across writes, and several frames in one write, are each one
// request; a frame that is not OSC is counted; a client that ends its stream still gets its answers.
void TestOscTcp::framesAcrossWritesAndSeveralInOneWrite() {
    OscRig rig;
    START_RIG(rig);
    OscTcpClient tcp(rig.server->port());
    QVERIFY(tcp.valid());
    const std::vector<std::uint8_t> one = raw::frame(Msg().s("s1").s("sine").serialise("/patch/create"));
    for (std::size_t at = 0; at < one.size(); ++at) { // a byte at a time
        QVERIFY(tcp.sendBytes(std::span(one).subspan(at, 1)));
        QTest::qWait(0);
    }
    VERIFY_REPLY(answer(tcp.waitFor("/patch/create")));
    std::vector<std::uint8_t> three;
    for (const char* id : {"s2", "s3", "s4"}) {
        const auto f = raw::frame(Msg().s(id).s("saw").serialise("/patch/create"));
        three.insert(three.end(), f.begin(), f.end());
    }
    QVERIFY(tcp.sendBytes(three));
    for (int k = 0; k < 3; ++k) {
        const auto r = tcp.waitFor("/patch/create");
        QVERIFY2(r && r->isReply(), r ? r->describe().constData() : "none");
    }
    // A frame that is not OSC is counted as malformed; the connection stays.
    const app::OscCounters before = rig.server->counters();
    QVERIFY(tcp.sendPacket({1, 2, 3, 4, 5, 6, 7, 8}));
    VERIFY_REPLY(answer(tcp.call("/engine/status")));
    QCOMPARE(rig.server->counters().malformed - before.malformed, std::uint64_t{1});
    QVERIFY(rig.engine.pending().find("s1") && rig.engine.pending().find("s4"));

    // Requests, then the end of the stream (shutdown for writing, as `nc -N` does): the answers
    // still come, then the server closes.
    OscTcpClient once(rig.server->port());
    QVERIFY(once.send("/patch/create", Msg().s("s5").s("sine")));
    QVERIFY(once.send("/engine/status"));
    QVERIFY(::shutdown(once.fd(), SHUT_WR) == 0);
    const auto created = once.waitFor("/patch/create");
    QVERIFY2(created && created->isReply(), created ? created->describe().constData() : "no answer after the end of the stream");
    QVERIFY(once.waitFor("/engine/status"));
    QVERIFY(once.waitClosed());
}

// A frame announced larger than 16 MiB closes its connection at once (nothing of it is held);
// another client is answered; a frame of 1 MiB is fine.
void TestOscTcp::oversizedFrameClosesOnlyThatConnection() {
    OscRig rig;
    START_RIG(rig);
    OscTcpClient other(rig.server->port());
    QVERIFY(other.valid());
    VERIFY_REPLY(answer(other.call("/engine/status")));

    OscTcpClient big(rig.server->port());
    QVERIFY(big.valid());
    const std::uint32_t size = (16u << 20) + 4;
    QVERIFY(big.sendBytes(std::vector<std::uint8_t>{static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                                                    static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)}));
    QVERIFY2(big.waitClosed(), "the server kept a connection that announced a 16 MiB + 4 frame");
    QCOMPARE(rig.server->counters().tcpDropped, std::uint64_t{1});

    // 1 MiB of text in one request: read whole, refused by the argument check, answered.
    OscTcpClient large(rig.server->port());
    // Built by hand: liblo's own lo_message_add_string overruns its buffer on a 1 MiB string (ASan).
    std::vector<std::uint8_t> big1M;
    for (std::string_view part : {std::string_view("/patch/create"), std::string_view(",ss")})
        raw::appendString(big1M, part);
    raw::appendString(big1M, std::string(1u << 20, 'x'));
    raw::appendString(big1M, "sine");
    QVERIFY(large.sendPacket(big1M));
    const auto r = large.waitFor("/patch/create");
    QVERIFY2(r && r->isError() && r->errorText().find("too long") != std::string::npos, r ? r->describe().constData() : "none");
    VERIFY_REPLY(answer(other.call("/engine/status")));
    QVERIFY(!other.closed());
}

// 32 connections are served; the 33rd is closed at once and counted; a place freed is taken again.
void TestOscTcp::connectionsAreBounded() {
    OscRig rig;
    START_RIG(rig);
    std::vector<std::unique_ptr<OscTcpClient>> clients;
    for (int i = 0; i < 32; ++i) {
        clients.push_back(std::make_unique<OscTcpClient>(rig.server->port()));
        QVERIFY(clients.back()->valid());
        const auto r = clients.back()->call("/engine/status");
        QVERIFY2(r && r->isReply(), qPrintable(QStringLiteral("connection %1 was not answered").arg(i + 1)));
    }
    QCOMPARE(rig.server->counters().tcpOpen, std::uint64_t{32});
    OscTcpClient extra(rig.server->port()); // the kernel completes the handshake; the server closes it
    QVERIFY(extra.valid());
    QVERIFY2(extra.waitClosed(), "a 33rd connection was kept");
    QCOMPARE(rig.server->counters().tcpRejected, std::uint64_t{1});
    for (auto& c : clients) // the 32 are still served
        VERIFY_REPLY(answer(c->call("/engine/status")));

    clients.front()->close();
    QVERIFY(eventually([&] { return rig.server->counters().tcpOpen == 31; }));
    OscTcpClient again(rig.server->port());
    const auto r = again.call("/engine/status");
    QVERIFY2(r && r->isReply(), "a freed place was not taken again");
}

// Listening on every interface with an allow-list this machine is not on: a connection from the
// machine's own network address is closed unanswered and counted as refused; loopback is served.
void TestOscTcp::connectionsFromOutsideTheAllowListAreRefused() {
    const in_addr_t own = ownNetworkAddress();
    if (!own)
        QSKIP("this machine has no IPv4 address but loopback: nothing to connect from");
    OscRig rig;
    rig.options.host = "0.0.0.0";
    rig.options.allow = {app::OscSubnet::parse("203.0.113.0/24").value()};
    START_RIG(rig);
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<std::uint16_t>(rig.server->port()));
    to.sin_addr.s_addr = own; // from and to this address: not loopback
    QVERIFY(::connect(fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) == 0);
    const std::vector<std::uint8_t> request = raw::frame(Msg().s("x1").s("sine").serialise("/patch/create"));
    (void)::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
    std::uint8_t byte = 0;
    pollfd p{fd, POLLIN, 0};
    QVERIFY(::poll(&p, 1, 5000) == 1);
    QVERIFY(::recv(fd, &byte, 1, 0) <= 0); // closed (or reset): not one byte of an answer
    ::close(fd);
    QCOMPARE(rig.server->counters().refused, std::uint64_t{1});
    QCOMPARE(rig.server->counters().tcpAccepted, std::uint64_t{0});
    QVERIFY(!rig.engine.pending().find("x1"));
    OscTcpClient local(rig.server->port());
    const auto r = local.call("/engine/status");
    QVERIFY2(r && r->isReply(), "loopback was not served");
}

// A client sends 50,000 schema requests (replies of ~18 kB each: 900 MB if all were made) and reads
// none: the server stops reading it once its unsent replies pass a bound, so its memory stays
// bounded, and another client is answered all along.
void TestOscTcp::clientThatNeverReadsIsBounded() {
    OscRig rig;
    START_RIG(rig);
    OscTcpClient other(rig.server->port());
    VERIFY_REPLY(answer(other.call("/engine/status")));
    const long before = residentKb();

    OscTcpClient hog(rig.server->port());
    QVERIFY(hog.valid());
    ::fcntl(hog.fd(), F_SETFL, ::fcntl(hog.fd(), F_GETFL) | O_NONBLOCK);
    const std::vector<std::uint8_t> request = raw::frame(Msg().serialise("/engine/schema"));
    std::vector<std::uint8_t> batch;
    for (int k = 0; k < 500; ++k)
        batch.insert(batch.end(), request.begin(), request.end());
    std::size_t sentBytes = 0;
    for (int round = 0; round < 100; ++round) {
        // Written as far as the kernel takes them: once the server stops reading, the buffers fill.
        std::size_t at = 0;
        while (at < batch.size()) {
            const ssize_t n = ::send(hog.fd(), batch.data() + at, batch.size() - at, MSG_NOSIGNAL);
            if (n <= 0)
                break;
            at += static_cast<std::size_t>(n);
        }
        sentBytes += at;
        if (at < batch.size())
            break;
        const auto r = other.call("/engine/status"); // answered while the hog waits
        QVERIFY2(r && r->isReply(), qPrintable(QStringLiteral("round %1: the other client got no answer").arg(round)));
    }
    const auto r = other.call("/engine/status");
    QVERIFY2(r && r->isReply(), "the other client got no answer after the hog");
    const long after = residentKb();
    qInfo("the hog wrote %zu requests; resident memory %ld -> %ld kB; the server took %llu packets",
          sentBytes / request.size(), before, after, static_cast<unsigned long long>(rig.server->counters().packets));
    // Unbounded, it would have made ~18 kB for each request read.
    QVERIFY2(after - before < 200 * 1024, qPrintable(QStringLiteral("grew by %1 kB").arg(after - before)));
    QVERIFY(rig.server->counters().packets < 50000);
}

// A client that leaves a frame half sent, or its replies unread, past the stall time is dropped;
// one that dies mid-frame is cleaned up at once. Others are served throughout.
void TestOscTcp::stalledClientsAreDropped() {
    OscRig rig;
    rig.options.tcpStallMs = 300;
    START_RIG(rig);
    OscTcpClient other(rig.server->port());
    VERIFY_REPLY(answer(other.call("/engine/status")));

    // Died mid-frame: the half frame goes with the connection.
    {
        OscTcpClient dying(rig.server->port());
        const auto f = raw::frame(Msg().s("d1").s("sine").serialise("/patch/create"));
        QVERIFY(dying.sendBytes(std::span(f).first(f.size() / 2)));
        QVERIFY(eventually([&] { return rig.server->counters().tcpOpen == 2; }));
    }
    QVERIFY(eventually([&] { return rig.server->counters().tcpOpen == 1; }));
    QCOMPARE(rig.server->counters().tcpDropped, std::uint64_t{0});
    QVERIFY(!rig.engine.pending().find("d1"));

    // Half a frame, then silence: dropped after the stall time.
    OscTcpClient half(rig.server->port());
    const auto f = raw::frame(Msg().s("h1").s("sine").serialise("/patch/create"));
    QVERIFY(half.sendBytes(std::span(f).first(f.size() - 1)));
    QVERIFY2(half.waitClosed(10s), "a client that stopped mid-frame was kept");
    QCOMPARE(rig.server->counters().tcpDropped, std::uint64_t{1});

    // Replies never read: dropped after the stall time.
    OscTcpClient deaf(rig.server->port());
    ::fcntl(deaf.fd(), F_SETFL, ::fcntl(deaf.fd(), F_GETFL) | O_NONBLOCK);
    const std::vector<std::uint8_t> request = raw::frame(Msg().serialise("/engine/schema"));
    for (int k = 0; k < 5000; ++k)
        if (::send(deaf.fd(), request.data(), request.size(), MSG_NOSIGNAL) <= 0)
            break;
    QVERIFY2(eventually([&] { return rig.server->counters().tcpDropped == 2; }), "a client that never read was kept");
    VERIFY_REPLY(answer(other.call("/engine/status")));
    QVERIFY(!other.closed()); // idle with nothing owed: kept
}

// liblo's own TCP client (oscsend osc.tcp://): a client we did not write frames as we read.
void TestOscTcp::libloTcpClientIsServed() {
    const QString oscsend = QStandardPaths::findExecutable(QStringLiteral("oscsend"));
    if (oscsend.isEmpty())
        QSKIP("oscsend (liblo-tools) is not installed");
    OscRig rig;
    START_RIG(rig);
    QProcess p;
    p.start(oscsend, {QStringLiteral("osc.tcp://127.0.0.1:%1").arg(rig.server->port()), "/patch/create", "ss", "lo1", "saw"});
    QVERIFY(p.waitForFinished(10000));
    QCOMPARE(p.exitCode(), 0);
    QVERIFY2(eventually([&] { return rig.engine.pending().find("lo1") != nullptr; }),
             "liblo's TCP request was not applied");
    QVERIFY(rig.server->counters().tcpAccepted >= 1);
}

QTEST_GUILESS_MAIN(TestOscTcp)
#include "tst_osc_tcp.moc"
