#pragma once
// What the OSC server tests drive the server with: a liblo client and an in-process rig.
//
// OscTestClient: a liblo server on a free port of its own receives the replies; requests go out
// from that same socket (lo_send_message_from), raw datagrams too (sendto on its descriptor), so
// every answer the server sends to "the sender" comes back here. Waiting is always on a reply, with
// a deadline, never a fixed sleep.
//
// OscTcpClient: one TCP connection to the server, frames written and read by hand (the size, int32
// big-endian, then the packet), replies decoded with liblo.
//
// OscRig: the dual-slot engine playing through the clock-paced null driver, a callback that records
// the output and checks every sample it plays, and the OSC server on a free port of 127.0.0.1.
// Control thread only, except where a function says otherwise.

#include "app/OscServer.hpp"
#include "audio/NullDriver.hpp"
#include "engine/SlotEngine.hpp"
#include "slots/SlotRig.hpp"

#include <lo/lo.h>

#include <QString>
#include <QTest>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chronus::test {

// One argument of a received message.
struct OscArg {
    char type = 0;
    std::int64_t i = 0; // 'i', 'h'; 1/0 for 'T'/'F'
    double f = 0.0;     // 'f', 'd'
    std::string s;      // 's', 'S'
    bool isNumber() const { return type == 'i' || type == 'h' || type == 'f' || type == 'd'; }
    double number() const { return type == 'f' || type == 'd' ? f : static_cast<double>(i); }
};

struct OscReply {
    std::string path; // "/reply" or "/error"
    std::vector<OscArg> args;
    std::optional<std::int32_t> requestId; // the `/request/id` of the bundle it came in

    bool isReply() const { return path == "/reply"; }
    bool isError() const { return path == "/error"; }
    // The request's address, echoed as the first value.
    std::string address() const { return !args.empty() && args[0].type == 's' ? args[0].s : std::string(); }
    // An /error's message.
    std::string errorText() const { return isError() && args.size() > 1 ? args[1].s : std::string(); }
    std::size_t valueCount() const { return args.empty() ? 0 : args.size() - 1; }
    // Value n after the echoed address.
    const OscArg& value(std::size_t n) const { return args.at(n + 1); }
    // For failure messages: "/error /patch/create 'unknown module type ...'".
    QByteArray describe() const {
        std::string out = path;
        for (const OscArg& a : args) {
            out += ' ';
            if (a.type == 's' || a.type == 'S') {
                out += '\'';
                out.append(a.s, 0, 400);
                out += a.s.size() > 400 ? "...'" : "'";
            }
            else if (a.type == 'f' || a.type == 'd')
                out += std::to_string(a.f);
            else
                out += std::to_string(a.i);
        }
        return QByteArray::fromStdString(out);
    }
};

// A message under construction (owns a lo_message).
class OscMessage {
public:
    OscMessage() : m_msg(lo_message_new()) {}
    ~OscMessage() {
        if (m_msg)
            lo_message_free(m_msg);
    }
    OscMessage(OscMessage&& other) noexcept : m_msg(std::exchange(other.m_msg, nullptr)) {}
    OscMessage(const OscMessage&) = delete;
    OscMessage& operator=(const OscMessage&) = delete;
    OscMessage& operator=(OscMessage&&) = delete;

    OscMessage& s(const std::string& v) { return lo_message_add_string(m_msg, v.c_str()), *this; }
    OscMessage& S(const std::string& v) { return lo_message_add_symbol(m_msg, v.c_str()), *this; }
    OscMessage& i(std::int32_t v) { return lo_message_add_int32(m_msg, v), *this; }
    OscMessage& h(std::int64_t v) { return lo_message_add_int64(m_msg, v), *this; }
    OscMessage& f(float v) { return lo_message_add_float(m_msg, v), *this; }
    OscMessage& d(double v) { return lo_message_add_double(m_msg, v), *this; }
    OscMessage& T() { return lo_message_add_true(m_msg), *this; }
    OscMessage& F() { return lo_message_add_false(m_msg), *this; }
    OscMessage& N() { return lo_message_add_nil(m_msg), *this; }
    OscMessage& I() { return lo_message_add_infinitum(m_msg), *this; }
    OscMessage& c(char v) { return lo_message_add_char(m_msg, v), *this; }
    OscMessage& b(std::span<const std::uint8_t> bytes) {
        lo_blob blob = lo_blob_new(static_cast<std::int32_t>(bytes.size()), bytes.data());
        lo_message_add_blob(m_msg, blob);
        lo_blob_free(blob);
        return *this;
    }

    lo_message get() const { return m_msg; }
    // The datagram liblo would send for it.
    std::vector<std::uint8_t> serialise(const std::string& path) const {
        std::size_t size = 0;
        void* data = lo_message_serialise(m_msg, path.c_str(), nullptr, &size);
        std::vector<std::uint8_t> out(static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
        std::free(data);
        return out;
    }

private:
    lo_message m_msg;
};

// Raw OSC bytes, for what liblo will not build: bundles nested by hand, broken length fields.
namespace raw {
inline void appendU32(std::vector<std::uint8_t>& out, std::uint32_t v) {
    for (int shift = 24; shift >= 0; shift -= 8)
        out.push_back(static_cast<std::uint8_t>(v >> shift));
}
// An OSC string: the bytes, a NUL, zeros up to a multiple of 4.
inline void appendString(std::vector<std::uint8_t>& out, std::string_view s) {
    out.insert(out.end(), s.begin(), s.end());
    out.push_back(0);
    while (out.size() % 4)
        out.push_back(0);
}
// "#bundle\0", a timetag (1 = immediately), then each element as a size and its bytes.
inline std::vector<std::uint8_t> bundle(const std::vector<std::vector<std::uint8_t>>& elements,
                                        std::uint64_t timetag = 1) {
    std::vector<std::uint8_t> out;
    appendString(out, "#bundle");
    appendU32(out, static_cast<std::uint32_t>(timetag >> 32));
    appendU32(out, static_cast<std::uint32_t>(timetag));
    for (const auto& e : elements) {
        appendU32(out, static_cast<std::uint32_t>(e.size()));
        out.insert(out.end(), e.begin(), e.end());
    }
    return out;
}
// A request tagged with a request id: #bundle [/request/id <id>] [the request].
inline std::vector<std::uint8_t> tagged(std::int32_t id, const std::vector<std::uint8_t>& request) {
    lo_message tag = lo_message_new();
    lo_message_add_int32(tag, id);
    std::size_t size = 0;
    void* data = lo_message_serialise(tag, "/request/id", nullptr, &size);
    std::vector<std::uint8_t> tagBytes(static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
    std::free(data);
    lo_message_free(tag);
    return bundle({tagBytes, request});
}
// A TCP frame: the packet's size, int32 big-endian, then the packet.
inline std::vector<std::uint8_t> frame(const std::vector<std::uint8_t>& packet) {
    std::vector<std::uint8_t> out;
    appendU32(out, static_cast<std::uint32_t>(packet.size()));
    out.insert(out.end(), packet.begin(), packet.end());
    return out;
}
// `depth` bundles, each holding the next; the innermost holds `innermost`.
inline std::vector<std::uint8_t> nestedBundle(int depth, const std::vector<std::vector<std::uint8_t>>& innermost) {
    std::vector<std::uint8_t> b = bundle(innermost);
    for (int level = 1; level < depth; ++level)
        b = bundle({b});
    return b;
}
} // namespace raw

class OscTestClient {
public:
    explicit OscTestClient(int serverPort) : m_serverPort(serverPort) {
        m_server = lo_server_new(nullptr, [](int, const char*, const char*) {});
        if (!m_server)
            return;
        lo_server_add_method(m_server, nullptr, nullptr, &OscTestClient::onMessage, this);
        lo_server_add_bundle_handlers(
            m_server,
            [](lo_timetag, void* user) { return static_cast<OscTestClient*>(user)->m_bundleId.reset(), 0; },
            [](void* user) { return static_cast<OscTestClient*>(user)->m_bundleId.reset(), 0; }, this);
        // A burst of replies waits in the kernel rather than being dropped (rmem_max allowing).
        const int big = 4 << 20;
        ::setsockopt(lo_server_get_socket_fd(m_server), SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        m_target = lo_address_new("127.0.0.1", std::to_string(serverPort).c_str());
    }
    ~OscTestClient() {
        if (m_target)
            lo_address_free(m_target);
        if (m_server)
            lo_server_free(m_server);
    }
    OscTestClient(const OscTestClient&) = delete;
    OscTestClient& operator=(const OscTestClient&) = delete;

    bool valid() const { return m_server && m_target; }
    int port() const { return lo_server_get_port(m_server); }
    // The socket replies arrive on, for poll() over several clients.
    int fd() const { return lo_server_get_socket_fd(m_server); }

    bool send(const std::string& path, const OscMessage& message = OscMessage()) {
        ++m_sent;
        return lo_send_message_from(m_target, m_server, path.c_str(), message.get()) >= 0;
    }
    // One datagram, as is, from the client's socket.
    bool sendRaw(std::span<const std::uint8_t> bytes) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(m_serverPort));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ++m_sent;
        return ::sendto(lo_server_get_socket_fd(m_server), bytes.data(), bytes.size(), 0,
                        reinterpret_cast<const sockaddr*>(&to), sizeof to) == static_cast<ssize_t>(bytes.size());
    }

    // Receives whatever has arrived (waiting up to `timeoutMs` for the first datagram); returns how
    // many datagrams it took in.
    int pump(int timeoutMs = 0) {
        int n = 0;
        int wait = timeoutMs;
        while (lo_server_recv_noblock(m_server, wait) > 0) {
            ++n;
            wait = 0;
        }
        return n;
    }

    // The first reply (or error) whose echoed address is `address` (and that `match` accepts, if
    // given), taken out of the inbox; waits for it until the deadline.
    std::optional<OscReply> waitFor(const std::string& address,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000),
                                    const std::function<bool(const OscReply&)>& match = {}) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            for (auto it = m_inbox.begin(); it != m_inbox.end(); ++it) {
                if (it->address() == address && (!match || match(*it))) {
                    OscReply r = std::move(*it);
                    m_inbox.erase(it);
                    return r;
                }
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                    std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return std::nullopt;
            pump(static_cast<int>(std::min<long>(left.count(), 20)));
        }
    }
    // Sends, then waits for the answer to `echo` (the address the server echoes: `path` itself
    // unless it is not UTF-8 or too long).
    std::optional<OscReply> call(const std::string& path, const OscMessage& message = OscMessage(),
                                 const std::string& echo = {},
                                 std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        if (!send(path, message))
            return std::nullopt;
        return waitFor(echo.empty() ? path : echo, timeout);
    }
    std::optional<OscReply> callRaw(std::span<const std::uint8_t> bytes, const std::string& echo,
                                    std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        if (!sendRaw(bytes))
            return std::nullopt;
        return waitFor(echo, timeout);
    }

    std::deque<OscReply>& inbox() { return m_inbox; }
    std::uint64_t sent() const { return m_sent; }
    std::uint64_t received() const { return m_received; }

private:
    template <class T> static T load(const void* p) {
        T v;
        std::memcpy(&v, p, sizeof v);
        return v;
    }
    static int onMessage(const char* path, const char* types, lo_arg** argv, int argc, lo_message, void* user) {
        auto* self = static_cast<OscTestClient*>(user);
        if (std::string_view(path) == "/request/id" && std::string_view(types) == "i") {
            self->m_bundleId = load<std::int32_t>(argv[0]); // tags what follows in its bundle
            return 0;
        }
        OscReply r;
        r.path = path;
        r.requestId = self->m_bundleId;
        for (int k = 0; k < argc; ++k) {
            OscArg a;
            a.type = types[k];
            // liblo's argument pointers are 4-byte aligned, lo_arg (a union with 64-bit members)
            // needs 8: read the bytes, never through lo_arg's members.
            const void* v = argv[k];
            switch (a.type) {
            case 'i': a.i = load<std::int32_t>(v); break;
            case 'h': a.i = load<std::int64_t>(v); break;
            case 'f': a.f = static_cast<double>(load<float>(v)); break;
            case 'd': a.f = load<double>(v); break;
            case 's':
            case 'S': a.s = static_cast<const char*>(v); break;
            case 'T': a.i = 1; break;
            case 'F': a.i = 0; break;
            default: break;
            }
            r.args.push_back(std::move(a));
        }
        self->m_inbox.push_back(std::move(r));
        ++self->m_received;
        return 0;
    }

    int m_serverPort = 0;
    lo_server m_server = nullptr;
    lo_address m_target = nullptr;
    std::deque<OscReply> m_inbox;
    std::uint64_t m_sent = 0, m_received = 0;
    std::optional<std::int32_t> m_bundleId; // inside a bundle led by /request/id
};

// The answers in one packet: a message, or a bundle (a leading /request/id tags the rest).
inline std::vector<OscReply> decodePacket(std::vector<std::uint8_t>& packet, std::optional<std::int32_t> id = {}) {
    std::vector<OscReply> out;
    if (packet.size() >= 16 && std::memcmp(packet.data(), "#bundle", 8) == 0) {
        for (std::size_t at = 16; at + 4 <= packet.size();) {
            const std::size_t length = (std::size_t{packet[at]} << 24) | (std::size_t{packet[at + 1]} << 16) |
                                       (std::size_t{packet[at + 2]} << 8) | packet[at + 3];
            at += 4;
            if (length > packet.size() - at)
                break;
            std::vector<std::uint8_t> element(packet.begin() + static_cast<std::ptrdiff_t>(at),
                                              packet.begin() + static_cast<std::ptrdiff_t>(at + length));
            for (OscReply& r : decodePacket(element, id)) {
                if (r.path == "/request/id" && r.args.size() == 1 && r.args[0].type == 'i')
                    id = static_cast<std::int32_t>(r.args[0].i);
                else
                    out.push_back(std::move(r));
            }
            at += length;
        }
        return out;
    }
    int result = 0;
    lo_message m = lo_message_deserialise(packet.data(), packet.size(), &result);
    if (!m)
        return out;
    OscReply r;
    r.path = reinterpret_cast<const char*>(packet.data());
    r.requestId = id;
    const char* types = lo_message_get_types(m);
    lo_arg** argv = lo_message_get_argv(m);
    for (int k = 0; k < lo_message_get_argc(m); ++k) {
        OscArg a;
        a.type = types[k];
        const void* v = argv[k];
        switch (a.type) {
        case 'i': { std::int32_t x; std::memcpy(&x, v, 4); a.i = x; break; }
        case 'f': { float x; std::memcpy(&x, v, 4); a.f = static_cast<double>(x); break; }
        case 's':
        case 'S': a.s = static_cast<const char*>(v); break;
        default: break;
        }
        r.args.push_back(std::move(a));
    }
    lo_message_free(m);
    out.push_back(std::move(r));
    return out;
}

// One TCP connection to the server on 127.0.0.1. Writes block (the tests send little); reads wait
// with a deadline.
class OscTcpClient {
public:
    explicit OscTcpClient(int serverPort) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<std::uint16_t>(serverPort));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (m_fd >= 0 && ::connect(m_fd, reinterpret_cast<const sockaddr*>(&to), sizeof to) != 0) {
            ::close(m_fd);
            m_fd = -1;
        }
        const int one = 1;
        if (m_fd >= 0)
            ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~OscTcpClient() { close(); }
    OscTcpClient(const OscTcpClient&) = delete;
    OscTcpClient& operator=(const OscTcpClient&) = delete;

    bool valid() const { return m_fd >= 0; }
    int fd() const { return m_fd; }
    void close() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
    }

    // Bytes as they are (a frame, half of one, noise).
    bool sendBytes(std::span<const std::uint8_t> bytes) {
        for (std::size_t at = 0; at < bytes.size();) {
            const ssize_t n = ::send(m_fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            at += static_cast<std::size_t>(n);
        }
        return true;
    }
    bool sendPacket(const std::vector<std::uint8_t>& packet) { return sendBytes(raw::frame(packet)); }
    bool send(const std::string& path, const OscMessage& message = OscMessage()) {
        return sendPacket(message.serialise(path));
    }

    // The next packet the server sent; nothing on a timeout or when the connection ended (closed()).
    std::optional<std::vector<std::uint8_t>> readPacket(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            if (m_in.size() >= 4) {
                const std::size_t length = (std::size_t{m_in[0]} << 24) | (std::size_t{m_in[1]} << 16) |
                                           (std::size_t{m_in[2]} << 8) | m_in[3];
                if (m_in.size() - 4 >= length) {
                    std::vector<std::uint8_t> packet(m_in.begin() + 4, m_in.begin() + 4 + static_cast<std::ptrdiff_t>(length));
                    m_in.erase(m_in.begin(), m_in.begin() + 4 + static_cast<std::ptrdiff_t>(length));
                    return packet;
                }
            }
            if (m_closed)
                return std::nullopt;
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return std::nullopt;
            pollfd p{m_fd, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(std::min<long>(left.count(), 100))) <= 0)
                continue;
            std::uint8_t buffer[65536];
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0)
                m_in.insert(m_in.end(), buffer, buffer + n);
            else if (n == 0 || (errno != EAGAIN && errno != EINTR))
                m_closed = true; // end of stream, or reset
        }
    }
    // Whether the server closed the connection: waits for the end of the stream, discarding what
    // comes before it.
    bool waitClosed(std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (!m_closed && std::chrono::steady_clock::now() < deadline) {
            readPacket(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()));
            m_in.clear();
        }
        return m_closed;
    }
    bool closed() const { return m_closed; }

    // The next answer whose echoed address is `address` (others are skipped); waits until the deadline.
    std::optional<OscReply> waitFor(const std::string& address, std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (true) {
            for (auto it = m_inbox.begin(); it != m_inbox.end(); ++it)
                if (it->address() == address) {
                    OscReply r = std::move(*it);
                    m_inbox.erase(it);
                    return r;
                }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0)
                return std::nullopt;
            auto packet = readPacket(left);
            if (!packet)
                return std::nullopt;
            for (OscReply& r : decodePacket(*packet))
                m_inbox.push_back(std::move(r));
        }
    }
    std::optional<OscReply> call(const std::string& path, const OscMessage& message = OscMessage()) {
        if (!send(path, message))
            return std::nullopt;
        return waitFor(path);
    }

private:
    int m_fd = -1;
    bool m_closed = false;
    std::vector<std::uint8_t> m_in;
    std::deque<OscReply> m_inbox;
};

// Plays the engine (through a RecordingCallback) and checks every sample the driver gets: counts
// non-finite samples and keeps the peak. RT-safe.
class WatchingCallback final : public audio::AudioCallback {
public:
    explicit WatchingCallback(RecordingCallback& recorder) : m_recorder(recorder) {}
    void process(float* out, const audio::CallbackInfo& info) noexcept override {
        m_recorder.process(out, info);
        std::uint64_t bad = 0;
        float peak = 0.0f;
        for (int k = 0; k < 2 * info.frames; ++k) {
            if (!std::isfinite(out[k]))
                ++bad;
            else
                peak = std::max(peak, std::fabs(out[k]));
        }
        if (bad)
            m_nonFinite.fetch_add(bad, std::memory_order_relaxed);
        if (peak > m_peak.load(std::memory_order_relaxed))
            m_peak.store(peak, std::memory_order_relaxed);
        m_frames.fetch_add(static_cast<std::uint64_t>(info.frames), std::memory_order_relaxed);
    }
    // Any thread.
    std::uint64_t nonFiniteSamples() const { return m_nonFinite.load(std::memory_order_relaxed); }
    float peak() const { return m_peak.load(std::memory_order_relaxed); }
    std::uint64_t frames() const { return m_frames.load(std::memory_order_relaxed); }

private:
    RecordingCallback& m_recorder;
    std::atomic<std::uint64_t> m_nonFinite{0};
    std::atomic<float> m_peak{0.0f};
    std::atomic<std::uint64_t> m_frames{0};
};

inline engine::EngineConfig oscTestEngineConfig() {
    engine::EngineConfig c;
    c.sampleRate = 48000.0;
    c.blockSize = 64;
    c.ringTargetBlocks = 6;
    c.healthWindowMs = 20.0;
    return c;
}

struct OscRig {
    explicit OscRig(QString patchesDir = {}, std::size_t queueCapacity = 1024, std::size_t recordSeconds = 4)
        : engine(oscTestEngineConfig())
        , recorder(engine, recordSeconds * 48000)
        , watcher(recorder) {
        options.port = 0;
        options.patchesDir = std::move(patchesDir);
        options.queueCapacity = queueCapacity;
    }
    ~OscRig() {
        client.reset();
        if (server)
            server->stop();
        driver.stop();
        engine.stop();
    }
    OscRig(const OscRig&) = delete;
    OscRig& operator=(const OscRig&) = delete;

    // Engine, driver (64-frame callbacks), server on a free port, client. Empty on success, else why not.
    std::string start() {
        if (auto s = engine.start(); !s)
            return s.message();
        audio::DriverConfig dc;
        dc.sampleRate = engine.config().sampleRate;
        dc.blockSize = 64;
        if (auto s = driver.start(watcher, dc); !s)
            return s.message();
        server = std::make_unique<app::OscServer>(engine, options);
        server->setDriver(&driver);
        if (auto s = server->start(); !s)
            return s.message();
        if (server->port() <= 0)
            return "the server reports no port";
        client = std::make_unique<OscTestClient>(server->port());
        if (!client->valid())
            return "the liblo client could not open a socket";
        return {};
    }

    // Records `seconds` of output (left channel), again if the machine disturbed it (SlotRig.hpp).
    std::vector<float> record(double seconds) {
        return recordUndisturbed(engine, recorder, static_cast<std::size_t>(seconds * engine.config().sampleRate));
    }

    std::uint64_t noneReads() const {
        const engine::EngineStats s = engine.stats();
        return s.slot[0].noneReads + s.slot[1].noneReads;
    }

    app::OscServerOptions options;
    engine::SlotEngine engine;
    RecordingCallback recorder;
    WatchingCallback watcher;
    audio::NullDriver driver;
    std::unique_ptr<app::OscServer> server;
    std::unique_ptr<OscTestClient> client;
};

} // namespace chronus::test

// Checks shared by the OSC tests. `rig.start()` returns why it could not start (empty: started).
#define START_RIG(rig)                                                                                       \
    do {                                                                                                     \
        const std::string why_ = (rig).start();                                                              \
        QVERIFY2(why_.empty(), why_.c_str());                                                                \
    } while (false)

// Evaluates `r` (usually a request) once.
#define VERIFY_REPLY(r)                                                                                      \
    do {                                                                                                     \
        const OscReply& r_ = (r);                                                                            \
        QVERIFY2(r_.isReply(), r_.describe().constData());                                                   \
    } while (false)

// An /error for the right address whose message contains `needle`.
#define VERIFY_ERROR(r, echoed, needle)                                                                      \
    do {                                                                                                     \
        const OscReply& e_ = (r);                                                                            \
        QVERIFY2(e_.isError(), e_.describe().constData());                                                   \
        QVERIFY2(e_.address() == std::string(echoed), e_.describe().constData());                            \
        const std::string n_ = (needle);                                                                     \
        QVERIFY2(e_.errorText().find(n_) != std::string::npos,                                               \
                 (e_.describe() + "  [expected to contain: " + QByteArray::fromStdString(n_) + "]").constData()); \
    } while (false)

