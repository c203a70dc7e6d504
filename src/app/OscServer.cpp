#include "OscServer.hpp"

#include "EngineStatus.hpp"
#include "OscArgs.hpp"
#include "PatchController.hpp"
#include "PatchFile.hpp"
#include "Protocol.hpp"
#include "Recorder.hpp"
#include "audio/AudioDriver.hpp"
#include "audio/EngineCallback.hpp"
#include "audio/MidiFeed.hpp"
#include "audio/MidiOutput.hpp"
#include "engine/ModuleRegistry.hpp"
#include "engine/Plan.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>

#include <lo/lo.h>

#include <arpa/inet.h>
#include <chrono>
#include <cmath>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

namespace chronus::app {

using engine::ErrorCode;
using engine::Result;
using engine::Status;

namespace {

constexpr std::size_t kMaxPacket = 65536;
constexpr std::size_t kMaxReply = 65507; // the largest UDP payload over IPv4

// TCP: what a client can make the server hold. A frame (one OSC packet, request or reply) is at
// most 16 MiB; a frame announced larger closes the connection. A connection with this much unsent
// output is not read until its client takes some (a client that does not read stops adding to it);
// past the hard bound (replies already queued for it) it is closed.
constexpr std::size_t kMaxFrame = 16u << 20;
constexpr std::size_t kMaxTcpConnections = 32;
constexpr std::size_t kTcpReadPause = 1u << 20;
constexpr std::size_t kMaxTcpOutput = 2 * kMaxFrame + kTcpReadPause;
// Bundles nest as deep as a datagram allows (3,276 levels); a 16 MiB frame could nest 800,000
// levels, past what this thread's stack holds.
constexpr int kMaxBundleDepth = 4096;

thread_local bool tl_networkThread = false; // replies made there need no wake-up

constexpr int kMaxEditsPerRequest = 256;

bool validUtf8(const char* s, std::size_t n) {
    const auto* p = reinterpret_cast<const unsigned char*>(s);
    for (std::size_t i = 0; i < n;) {
        const unsigned char c = p[i];
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        if (len == 0 || i + len > n)
            return false;
        for (std::size_t k = 1; k < len; ++k)
            if ((p[i + k] & 0xc0) != 0x80)
                return false;
        if (len == 2 && c < 0xc2)
            return false; // overlong
        i += len;
    }
    return true;
}

const char* typeName(char t) {
    switch (t) {
    case 's': case 'S': return "string";
    case 'i': case 'h': return "integer";
    case 'f': case 'd': return "float";
    case 'T': case 'F': return "boolean";
    case 'N': return "nil";
    case 'I': return "infinitum";
    case 'b': return "blob";
    case 't': return "timetag";
    case 'c': return "char";
    case 'm': return "midi";
    default: return "unknown";
    }
}

// "string, float, ..." for an error message; past a dozen, how many more (a request may carry hundreds).
std::string describeTypes(const char* types) {
    constexpr int kListed = 12;
    std::string out;
    int count = 0;
    for (const char* t = types; *t; ++t, ++count)
        if (count < kListed)
            out += (out.empty() ? "" : ", ") + std::string(typeName(*t));
    if (count > kListed)
        out += ", ... (" + std::to_string(count) + " arguments)";
    return out.empty() ? "nothing" : out;
}

// Control characters (C0 and DEL) as \xNN; everything else, UTF-8 included, as it is.
std::string printable(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f) {
            static constexpr char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0xf];
        } else {
            out += c;
        }
    }
    return out;
}

QString safeName(const std::string& name) {
    static const QRegularExpression ok(QStringLiteral("\\A[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}\\z"));
    QString n = QString::fromStdString(name);
    if (!ok.match(n).hasMatch() || n.contains(QStringLiteral("..")))
        return {};
    if (!n.endsWith(QStringLiteral(".json")))
        n += QStringLiteral(".json");
    return n;
}

} // namespace

namespace {

const char* occursName(protocol::Occurs occurs) {
    switch (occurs) {
    case protocol::Occurs::Once:
        return "once";
    case protocol::Occurs::Group:
        return "group";
    case protocol::Occurs::Optional:
        return "optional";
    case protocol::Occurs::Rest:
        return "rest";
    }
    return "once";
}

QJsonArray fieldsJson(std::span<const protocol::Field> fields) {
    QJsonArray out;
    for (const protocol::Field& f : fields)
        out.append(QJsonObject{{"name", f.name},
                               {"type", protocol::fieldTypeName(f.type)},
                               {"osc_types", protocol::fieldOscTypes(f.type)},
                               {"occurs", occursName(f.occurs)},
                               {"meaning", f.meaning}});
    return out;
}

// The protocol table (Protocol.cpp) for clients: each address, its arguments, its reply's named
// fields (in the order of the reply's values), its errors, help and an example.
QJsonObject protocolJson() {
    QJsonArray addresses;
    for (const protocol::Command& c : protocol::commands()) {
        QJsonArray args;
        for (const protocol::Arg& a : c.args)
            args.append(QJsonObject{{"name", a.name},
                                    {"type", protocol::argTypeName(a.type)},
                                    {"osc_types", protocol::argOscTypes(a.type)},
                                    {"meaning", a.meaning}});
        QJsonArray errors;
        for (const char* e : c.errors)
            errors.append(e);
        QJsonObject entry{{"address", c.address},
                          {"args", args},
                          {"args_occur", occursName(c.argsOccur)},
                          {"reply", fieldsJson(c.reply)},
                          {"errors", errors},
                          {"help", c.help},
                          {"example", c.example},
                          {"ctl", QString::fromStdString(protocol::synopsis(c))}};
        if (!c.optionReply.empty())
            entry["reply_with_option"] = fieldsJson(c.optionReply);
        if (c.groupName)
            entry["group"] = c.groupName;
        addresses.append(entry);
    }
    QJsonArray common;
    for (const char* e : protocol::commonErrors())
        common.append(e);
    return QJsonObject{
        {"reply", "/reply <address> <values...>: the values in the order of the address's reply fields"},
        {"error", "/error <address> <message>"},
        {"addresses", addresses},
        {"errors", common}};
}

} // namespace

std::string schemaJson() {
    QJsonArray types;
    const auto ports = [](std::span<const engine::PortSpec> specs) {
        QJsonArray out;
        for (const engine::PortSpec& p : specs)
            out.append(QJsonObject{{"id", p.id},
                                   {"name", p.name},
                                   {"kind", p.kind == engine::Signal::Audio ? "audio"
                                            : p.kind == engine::Signal::Cv  ? "cv"
                                                                            : "gate"}});
        return out;
    };
    for (const engine::ModuleType* type : engine::ModuleRegistry::instance().types()) {
        QJsonArray params;
        for (const engine::ParamSpec& p : type->params) {
            if (p.flags & engine::ParamHidden)
                continue; // set through a text form (below), not one by one
            QJsonObject param{{"id", p.id},         {"name", p.name},
                              {"unit", p.unit},     {"min", static_cast<double>(p.min)},
                              {"max", static_cast<double>(p.max)}, {"default", static_cast<double>(p.def)},
                              {"discrete", (p.flags & engine::ParamDiscrete) != 0},
                              {"scale", (p.flags & engine::ParamLog) ? "log" : "linear"}};
            if (p.alias)
                param["alias"] = p.alias;
            if (p.choices) { // label i stands for the value min + i; set and saved by label
                QJsonArray labels;
                for (std::string_view label : engine::paramLabels(p))
                    labels.append(QString::fromUtf8(label.data(), static_cast<qsizetype>(label.size())));
                param["choices"] = labels;
            }
            params.append(param);
        }
        QJsonObject entry{{"type", type->id},
                          {"name", type->name},
                          {"category", type->category},
                          {"description", type->description},
                          {"inputs", ports(type->inputs)},
                          {"outputs", ports(type->outputs)},
                          {"params", params}};
        if (type->text) {
            QJsonArray texts;
            for (const engine::TextParamSpec& t : type->text->texts)
                texts.append(QJsonObject{{"id", t.id}, {"name", t.name}, {"help", t.help}});
            entry["text_params"] = texts;
        }
        types.append(entry);
    }
    QJsonObject aliases;
    for (const engine::TypeAlias& a : engine::ModuleRegistry::instance().aliases())
        aliases[a.alias] = a.type;
    return QJsonDocument(QJsonObject{{"types", types}, {"aliases", aliases}, {"protocol", protocolJson()}})
        .toJson(QJsonDocument::Compact)
        .toStdString();
}

// Parses one packet (a datagram, or a TCP frame) with liblo's deserialiser and hands each message
// to handle(); bundles are unpacked here (and dispatched at once, whatever their time tag). No
// lo_server: it would open a UDP socket of its own on every interface that nobody reads.
struct OscDispatch {
    static std::uint32_t bigEndian32(const std::uint8_t* p) {
        return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    }

    // False when the packet (or any element of a bundle) is not OSC: then nothing of it is
    // dispatched, as liblo does. Bundles nest up to kMaxBundleDepth levels (20 bytes a level: a few
    // hundred kB of this thread's stack at most).
    static bool dispatch(OscServer& server, std::uint8_t* data, std::size_t size) {
        return walk(nullptr, data, size, 0, std::nullopt) && walk(&server, data, size, 0, std::nullopt);
    }

    // The request id of an element that is `/request/id <int32>`; nothing for any other element
    // (one with that address but other arguments goes to handle(), which says what is wrong).
    static std::optional<std::int32_t> requestId(std::uint8_t* data, std::size_t size) {
        static constexpr char kAddress[] = "/request/id"; // with its NUL: 12 bytes, no padding
        if (size != 20 || std::memcmp(data, kAddress, sizeof kAddress) != 0 || std::memcmp(data + 12, ",i\0\0", 4) != 0)
            return std::nullopt;
        return static_cast<std::int32_t>(bigEndian32(data + 16));
    }

    // With no server: only checks. `id` tags the requests (the bundle's, or an enclosing one's).
    static bool walk(OscServer* server, std::uint8_t* data, std::size_t size, int depth, std::optional<std::int32_t> id) {
        static constexpr char kBundle[] = "#bundle"; // with its NUL: 8 bytes
        if (size >= 16 && std::memcmp(data, kBundle, sizeof kBundle) == 0) {
            if (depth >= kMaxBundleDepth)
                return false;
            bool tagged = false;  // this bundle's first element is a request id
            bool requests = false; // an element follows it
            for (std::size_t at = 16; at < size;) { // after the tag and the 8-byte time tag
                if (size - at < 4)
                    return false;
                const std::size_t length = bigEndian32(data + at);
                at += 4;
                if (length == 0 || length % 4 != 0 || length > size - at)
                    return false;
                if (at == 20)
                    if (const auto own = requestId(data + at, length)) {
                        id = own;
                        tagged = true;
                        at += length;
                        continue;
                    }
                requests = true;
                if (!walk(server, data + at, length, depth + 1, id))
                    return false;
                at += length;
            }
            if (server && tagged && !requests) {
                OscServer::Request alone;
                alone.address = "/request/id";
                alone.sender = server->m_currentSender;
                alone.connection = server->m_currentConnection;
                alone.requestId = id;
                server->m_requests.fetch_add(1);
                server->replyError(alone, "a request id tags the requests after it in its bundle; this bundle has none");
            }
            return true;
        }
        int result = 0;
        lo_message m = lo_message_deserialise(data, size, &result);
        if (!m)
            return false;
        if (server) // a NUL-terminated path at the start of the data: the deserialiser checked it
            server->handle(reinterpret_cast<const char*>(data), lo_message_get_types(m),
                           reinterpret_cast<void**>(lo_message_get_argv(m)), lo_message_get_argc(m), id);
        lo_message_free(m);
        return true;
    }
};

// One TCP client. The frames it sent are taken from `in` as they complete; `out` holds the frames
// of its replies not yet written, the first one `sent` bytes in.
struct OscServer::TcpConnection {
    int fd = -1;
    std::uint64_t id = 0;
    std::vector<std::uint8_t> peer; // a sockaddr, as bytes
    std::vector<std::uint8_t> in;
    std::deque<std::vector<std::uint8_t>> out;
    std::size_t sent = 0;
    std::size_t outBytes = 0; // unsent, over all of `out`
    int awaiting = 0;         // its requests queued for the controller, not answered yet
    bool peerClosed = false;  // it sent all it will (end of stream): closed once answered
    bool closing = false;     // closed at the end of this round
    std::chrono::steady_clock::time_point progress = std::chrono::steady_clock::now(); // last byte in or out

    ~TcpConnection() {
        if (fd >= 0)
            ::close(fd);
    }
};

OscServer::OscServer(engine::SlotEngine& engine, PatchController& patch, OscServerOptions options)
    : m_engine(engine), m_patch(patch), m_options(std::move(options)), m_schemaJson(schemaJson()) {}

OscServer::OscServer(engine::SlotEngine& engine, OscServerOptions options)
    : m_engine(engine), m_ownPatch(std::make_unique<PatchController>(engine)), m_patch(*m_ownPatch),
      m_options(std::move(options)), m_schemaJson(schemaJson()) {}

OscServer::~OscServer() { stop(); }

OscCounters OscServer::counters() const noexcept {
    OscCounters c;
    c.packets = m_packets.load();
    c.requests = m_requests.load();
    c.replies = m_replies.load();
    c.errors = m_errors.load();
    c.malformed = m_malformed.load();
    c.busy = m_busy.load();
    c.refused = m_refused.load();
    c.tcpAccepted = m_tcpAccepted.load();
    c.tcpRejected = m_tcpRejected.load();
    c.tcpDropped = m_tcpDropped.load();
    c.tcpOpen = m_tcpOpen.load();
    return c;
}

Result<OscSubnet> OscSubnet::parse(const std::string& text) {
    const auto bad = [&](const std::string& why) {
        return Status::error(ErrorCode::InvalidArgument, "'" + text + "' is not a network: " + why +
                                                             " (write A.B.C.D or A.B.C.D/N, e.g. 192.168.1.0/24)");
    };
    const auto slash = text.find('/');
    in_addr address{};
    if (::inet_pton(AF_INET, text.substr(0, slash).c_str(), &address) != 1)
        return bad("not an IPv4 address");
    int bits = 32;
    if (slash != std::string::npos) {
        const std::string n = text.substr(slash + 1);
        if (n.empty() || n.size() > 2 || n.find_first_not_of("0123456789") != std::string::npos)
            return bad("the prefix length must be a number from 0 to 32");
        bits = std::stoi(n);
        if (bits > 32)
            return bad("the prefix length must be a number from 0 to 32");
    }
    OscSubnet subnet;
    subnet.address = ntohl(address.s_addr);
    subnet.mask = bits == 0 ? 0u : ~std::uint32_t{0} << (32 - bits);
    return subnet;
}

bool OscServer::allowed(const sockaddr_storage& from) const noexcept {
    if (from.ss_family != AF_INET)
        return false;
    const std::uint32_t address = ntohl(reinterpret_cast<const sockaddr_in&>(from).sin_addr.s_addr);
    if ((address >> 24) == 127)
        return true;
    for (const OscSubnet& subnet : m_options.allow)
        if (subnet.contains(address))
            return true;
    return false;
}

Status OscServer::start() {
    if (m_socket >= 0)
        return {};
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Status::error(ErrorCode::Device, std::string("OSC: cannot create a UDP socket: ") + std::strerror(errno));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(m_options.port));
    if (::inet_pton(AF_INET, m_options.host.c_str(), &addr.sin_addr) != 1) {
        ::close(fd);
        return Status::error(ErrorCode::InvalidArgument, "OSC: '" + m_options.host + "' is not an IPv4 address");
    }
    if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127 && m_options.allow.empty()) {
        ::close(fd);
        return Status::error(ErrorCode::InvalidArgument,
                             "OSC: listening on " + m_options.host +
                                 " opens the engine to the network; say who may use it with --allow NETWORK "
                                 "(e.g. --allow 192.168.1.0/24), or keep the default 127.0.0.1");
    }
    const int big = 4 << 20; // a burst of requests waits in the kernel rather than being dropped
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        return Status::error(ErrorCode::Device, "OSC: cannot listen on " + m_options.host + ":" +
                                                    std::to_string(m_options.port) + ": " + why);
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    // TCP on the same port number (a namespace of its own). With port 0 the number UDP got may be
    // taken for TCP: then another free pair.
    int listener = -1;
    for (int attempt = 0; listener < 0; ++attempt) {
        listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        const int one = 1; // a restarted server binds while its old connections linger in TIME_WAIT
        if (listener >= 0)
            ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (listener >= 0 && ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::listen(listener, 64) == 0)
            break;
        const int error = errno;
        if (listener >= 0)
            ::close(listener);
        listener = -1;
        if (m_options.port != 0 || error != EADDRINUSE || attempt >= 20) {
            ::close(fd);
            return Status::error(ErrorCode::Device, "OSC: cannot listen on " + m_options.host + ":" +
                                                        std::to_string(ntohs(addr.sin_port)) +
                                                        " over TCP: " + std::strerror(error));
        }
        ::close(fd); // port 0: another UDP port, then TCP on its number
        const int retry = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        addr.sin_port = 0;
        if (retry < 0 || ::bind(retry, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            const std::string why = std::strerror(errno);
            if (retry >= 0)
                ::close(retry);
            return Status::error(ErrorCode::Device, "OSC: cannot listen on " + m_options.host + ":0: " + why);
        }
        ::setsockopt(retry, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        len = sizeof addr;
        ::getsockname(retry, reinterpret_cast<sockaddr*>(&addr), &len);
        fd = retry;
    }
    m_port = ntohs(addr.sin_port);
    m_wake = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m_wake < 0) {
        const std::string why = std::strerror(errno);
        ::close(fd);
        ::close(listener);
        return Status::error(ErrorCode::Device, "OSC: cannot create an eventfd: " + why);
    }
    m_socket = fd;
    m_listen = listener;
    m_stop.store(false);
    m_controller = std::thread([this] { controllerLoop(); });
    m_network = std::thread([this] { networkLoop(); });
    return {};
}

void OscServer::stop() {
    if (m_socket < 0)
        return;
    m_alive->store(false);
    m_stop.store(true);
    m_queueChanged.notify_all();
    if (m_network.joinable())
        m_network.join();
    if (m_controller.joinable())
        m_controller.join();
    ::close(m_socket);
    m_socket = -1;
    ::close(m_listen);
    m_listen = -1;
    ::close(m_wake);
    m_wake = -1;
}

void OscServer::networkLoop() {
    tl_networkThread = true;
    std::vector<std::uint8_t> buffer(kMaxPacket);
    std::vector<pollfd> fds;
    while (!m_stop.load()) {
        fds.clear();
        fds.push_back({m_socket, POLLIN, 0});
        fds.push_back({m_wake, POLLIN, 0});
        fds.push_back({m_listen, POLLIN, 0});
        const std::size_t polled = m_connections.size();
        for (const auto& c : m_connections) {
            // A client that leaves its replies unread is not read either: it cannot make us hold more.
            short events = c->outBytes < kTcpReadPause && !c->peerClosed ? POLLIN : 0;
            if (c->outBytes > 0)
                events |= POLLOUT;
            fds.push_back({c->fd, events, 0});
        }
        const int ready = ::poll(fds.data(), fds.size(), 5);
        if (ready > 0 && (fds[1].revents & POLLIN)) {
            std::uint64_t count;
            (void)!::read(m_wake, &count, sizeof count);
        }
        if (ready > 0 && (fds[0].revents & POLLIN)) {
            // Drain what is there, then send replies; never block long on either.
            m_currentConnection = 0;
            for (int burst = 0; burst < 256; ++burst) {
                sockaddr_storage from{};
                socklen_t fromLen = sizeof from;
                const ssize_t n = ::recvfrom(m_socket, buffer.data(), buffer.size(), MSG_DONTWAIT,
                                             reinterpret_cast<sockaddr*>(&from), &fromLen);
                if (n < 0)
                    break;
                m_packets.fetch_add(1);
                if (!allowed(from)) {
                    m_refused.fetch_add(1); // not answered: a stranger learns nothing, not even that we exist
                    continue;
                }
                const auto* bytes = reinterpret_cast<const std::uint8_t*>(&from);
                m_currentSender.assign(bytes, bytes + fromLen);
                if (n == 0 || !OscDispatch::dispatch(*this, buffer.data(), static_cast<std::size_t>(n)))
                    m_malformed.fetch_add(1); // not OSC: nobody to answer in OSC terms
            }
        }
        for (std::size_t i = 0; i < polled; ++i) {
            TcpConnection& c = *m_connections[i];
            const short revents = fds[3 + i].revents;
            if (c.closing)
                continue;
            if (revents & (POLLERR | POLLHUP)) { // reset, or shut both ways: nobody to answer
                c.closing = true;
                continue;
            }
            // Frames already received that waited for the client to read its replies, then new bytes.
            if (!takeFrames(c) ||
                ((revents & POLLIN) && !c.peerClosed && c.outBytes < kTcpReadPause && !readConnection(c, buffer)))
                c.closing = true;
        }
        if (ready > 0 && (fds[2].revents & POLLIN))
            acceptConnections();

        std::deque<Outgoing> out;
        {
            std::lock_guard lock(m_outMutex);
            out.swap(m_out);
        }
        for (Outgoing& o : out) {
            if (o.connection != 0) {
                for (auto& c : m_connections)
                    if (c->id == o.connection && c->awaiting > 0)
                        --c->awaiting;
                queueFrame(o.connection, std::move(o.packet));
            } else
                ::sendto(m_socket, o.packet.data(), o.packet.size(), 0, reinterpret_cast<const sockaddr*>(o.sender.data()),
                         static_cast<socklen_t>(o.sender.size()));
        }

        const auto now = std::chrono::steady_clock::now();
        for (auto& c : m_connections) {
            if (!c->closing && c->outBytes > 0 && !flushConnection(*c))
                c->closing = true;
            if (c->peerClosed && c->awaiting == 0 && c->outBytes == 0)
                c->closing = true; // answered all it asked (a half frame at its end goes with it)
            // Half a frame, or replies the client does not take: it stalled (or died without a word).
            if (!c->closing && (!c->in.empty() || c->outBytes > 0) &&
                now - c->progress > std::chrono::milliseconds(m_options.tcpStallMs)) {
                c->closing = true;
                m_tcpDropped.fetch_add(1);
            }
        }
        std::erase_if(m_connections, [](const std::unique_ptr<TcpConnection>& c) { return c->closing; });
        m_tcpOpen.store(m_connections.size());
    }
    m_connections.clear();
    m_tcpOpen.store(0);
}

void OscServer::acceptConnections() {
    for (int burst = 0; burst < 64; ++burst) {
        sockaddr_storage from{};
        socklen_t fromLen = sizeof from;
        const int fd = ::accept4(m_listen, reinterpret_cast<sockaddr*>(&from), &fromLen, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        if (!allowed(from)) {
            m_refused.fetch_add(1);
            ::close(fd);
            continue;
        }
        if (m_connections.size() >= kMaxTcpConnections) {
            m_tcpRejected.fetch_add(1);
            ::close(fd);
            continue;
        }
        const int one = 1; // a reply is one write: send it now, not after the client's next ack
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        auto c = std::make_unique<TcpConnection>();
        c->fd = fd;
        c->id = m_nextConnection++;
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(&from);
        c->peer.assign(bytes, bytes + fromLen);
        m_connections.push_back(std::move(c));
        m_tcpAccepted.fetch_add(1);
    }
}

bool OscServer::readConnection(TcpConnection& c, std::vector<std::uint8_t>& buffer) {
    for (int burst = 0; burst < 16 && c.outBytes < kTcpReadPause; ++burst) {
        const ssize_t n = ::recv(c.fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        if (n == 0) {
            c.peerClosed = true; // it may still read: closed once its requests are answered
            return true;
        }
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c.in.insert(c.in.end(), buffer.begin(), buffer.begin() + n);
        c.progress = std::chrono::steady_clock::now();
        if (!takeFrames(c))
            return false;
    }
    return true;
}

// Dispatches the complete frames at the start of c.in, while the client reads its replies.
bool OscServer::takeFrames(TcpConnection& c) {
    std::size_t at = 0;
    bool ok = true;
    while (c.in.size() - at >= 4 && c.outBytes < kTcpReadPause && !c.closing) {
        const std::size_t length = OscDispatch::bigEndian32(c.in.data() + at);
        if (length > kMaxFrame) {
            m_tcpDropped.fetch_add(1); // we would hold it whole: nobody sends a request that large
            ok = false;
            break;
        }
        if (c.in.size() - at - 4 < length)
            break;
        m_packets.fetch_add(1);
        m_currentSender = c.peer;
        m_currentConnection = c.id;
        m_currentTcp = &c;
        if (length == 0 || !OscDispatch::dispatch(*this, c.in.data() + at + 4, length))
            m_malformed.fetch_add(1);
        at += 4 + length;
    }
    m_currentConnection = 0;
    m_currentTcp = nullptr;
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(at));
    if (c.in.empty() && c.in.capacity() > kMaxPacket)
        c.in.shrink_to_fit(); // a large frame's bytes are not kept for the connection's life
    return ok;
}

void OscServer::queueFrame(std::uint64_t id, std::vector<std::uint8_t> packet) {
    for (auto& c : m_connections) {
        if (c->id != id || c->closing)
            continue;
        if (c->outBytes + 4 + packet.size() > kMaxTcpOutput) {
            c->closing = true; // replies pile up unread: the client is gone or does not read
            m_tcpDropped.fetch_add(1);
            return;
        }
        const auto size = static_cast<std::uint32_t>(packet.size());
        packet.insert(packet.begin(), {static_cast<std::uint8_t>(size >> 24), static_cast<std::uint8_t>(size >> 16),
                                       static_cast<std::uint8_t>(size >> 8), static_cast<std::uint8_t>(size)});
        c->outBytes += packet.size();
        c->out.push_back(std::move(packet));
        return;
    }
}

bool OscServer::flushConnection(TcpConnection& c) {
    while (!c.out.empty()) {
        const std::vector<std::uint8_t>& frame = c.out.front();
        const ssize_t n = ::send(c.fd, frame.data() + c.sent, frame.size() - c.sent, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n < 0)
            return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
        c.progress = std::chrono::steady_clock::now();
        c.sent += static_cast<std::size_t>(n);
        c.outBytes -= static_cast<std::size_t>(n);
        if (c.sent < frame.size())
            return true; // the kernel's buffer is full: the rest when poll says it can take more
        c.out.pop_front();
        c.sent = 0;
    }
    return true;
}

namespace {
// #bundle, time tag "immediately", `/request/id <id>`, then the answer.
std::vector<std::uint8_t> taggedBundle(std::int32_t id, const std::vector<std::uint8_t>& answer) {
    static constexpr char kHead[] = "#bundle\0\0\0\0\0\0\0\0\1";
    std::vector<std::uint8_t> out(kHead, kHead + 16);
    out.reserve(16 + 4 + 20 + 4 + answer.size());
    oscarg::appendInt32(out, 20);
    oscarg::appendString(out, "/request/id");
    oscarg::appendString(out, ",i");
    oscarg::appendInt32(out, static_cast<std::uint32_t>(id));
    oscarg::appendInt32(out, static_cast<std::uint32_t>(answer.size()));
    out.insert(out.end(), answer.begin(), answer.end());
    return out;
}
} // namespace

// Counts the answer (a reply, or an error if it must become one) before it is queued, so a client
// that has its answer and then reads counters() sees it counted.
void OscServer::send(const Request& request, const char* path, const std::vector<Value>& values) {
    // Serialised here, not with liblo (see OscArgs.hpp). Strings end at their first NUL, as liblo's did.
    std::string types = ",";
    std::size_t size = 0;
    for (const Value& v : values) {
        const auto* text = std::get_if<std::string>(&v);
        types += text ? 's' : std::holds_alternative<std::int32_t>(v) ? 'i' : 'f';
        size += text ? text->size() + 4 : 4;
    }
    std::vector<std::uint8_t> packet;
    packet.reserve(std::strlen(path) + types.size() + size + 8);
    oscarg::appendString(packet, path);
    oscarg::appendString(packet, types);
    for (const Value& v : values) {
        if (const auto* i = std::get_if<std::int32_t>(&v))
            oscarg::appendInt32(packet, static_cast<std::uint32_t>(*i));
        else if (const auto* d = std::get_if<double>(&v))
            oscarg::appendFloat(packet, static_cast<float>(*d));
        else
            oscarg::appendString(packet, std::get<std::string>(v).c_str());
    }
    if (request.requestId)
        packet = taggedBundle(*request.requestId, packet);
    const std::size_t limit = request.connection != 0 ? kMaxFrame : kMaxReply;
    if (packet.size() > limit && !values.empty()) {
        // Does not fit in one datagram (or frame): say so instead of going silent.
        const std::string address = std::holds_alternative<std::string>(values.front()) ? std::get<std::string>(values.front()) : "";
        send(request, "/error",
             {address, "the reply is too large for one OSC packet (" + std::to_string(packet.size()) + " bytes, at most " +
                           std::to_string(limit) + (request.connection != 0 ? " over TCP)" : " over UDP); use TCP (ctl does)")});
        return;
    }
    (std::strcmp(path, "/reply") == 0 ? m_replies : m_errors).fetch_add(1);
    if (request.answer) { // the controller thread waits for it
        std::lock_guard lock(request.answer->mutex);
        request.answer->done = true;
        request.answer->answered.notify_all();
    }
    if (tl_networkThread && request.connection != 0) {
        // Straight onto the connection: the next frame of this client is read only if its
        // replies are being taken.
        queueFrame(request.connection, std::move(packet));
        return;
    }
    Outgoing o;
    o.packet = std::move(packet);
    o.sender = request.sender;
    o.connection = request.connection;
    bool wasEmpty;
    {
        std::lock_guard lock(m_outMutex);
        wasEmpty = m_out.empty();
        m_out.push_back(std::move(o));
    }
    // The network thread sends what it finds after each poll; wake it when the first reply of a
    // batch comes from another thread (without this, a controller reply waited for the next
    // request or the 5 ms poll timeout).
    if (wasEmpty && !tl_networkThread) {
        const std::uint64_t one = 1;
        (void)!::write(m_wake, &one, sizeof one);
    }
}

void OscServer::reply(const Request& request, std::vector<Value> values) {
    if (m_onAcknowledge && !tl_networkThread && request.command && request.command->changesPatch)
        if (std::string warning = m_onAcknowledge(request.address); !warning.empty())
            values.emplace_back(std::move(warning));
    values.insert(values.begin(), request.address);
    send(request, "/reply", values); // one count per request: a reply too large goes out as an /error
}

void OscServer::replyError(const Request& request, const std::string& message) {
    // Messages quote what the client sent (ids, types, names): never echo its control characters
    // (a NUL, an escape sequence for the terminal that prints the error) back raw.
    send(request, "/error", {printable(request.address), printable(message)});
}

// Network thread: validate, answer what needs no controller, queue the rest.
void OscServer::handle(const char* path, const char* types, void** argv, int argc, std::optional<std::int32_t> requestId) {
    m_requests.fetch_add(1);
    Request request;
    request.sender = m_currentSender;
    request.connection = m_currentConnection;
    request.requestId = requestId;
    const std::size_t pathLength = std::strlen(path);
    request.address = validUtf8(path, pathLength) ? std::string(path, std::min<std::size_t>(pathLength, 256))
                                                  : std::string("(address not UTF-8)");
    if (!validUtf8(path, pathLength) || pathLength > 256)
        return replyError(request, "the address must be UTF-8, at most 256 bytes");

    // The expected arguments, from the protocol table (src/app/Protocol.cpp).
    const std::string_view address(path, pathLength);
    if (address == "/request/id")
        return replyError(request, "a request id is `/request/id` with one int32, the first element of a bundle, "
                                   "before the requests it tags");
    const protocol::Command* command = protocol::find(address);
    if (!command) {
        if (const protocol::Command* pattern = protocol::findByPrefix(address))
            return replyError(request, protocol::patternError(*pattern));
        std::string known;
        for (const protocol::Command& c : protocol::commands())
            known += std::string(known.empty() ? "" : ", ") + c.address;
        return replyError(request, "unknown address (known: " + known + ")");
    }
    request.command = command;
    std::string expected;
    for (const protocol::Arg& arg : command->args)
        expected += arg.type;
    if (command->argsOccur == protocol::Occurs::Optional)
        expected += '?';
    else if (command->argsOccur == protocol::Occurs::Group)
        expected += '+';
    const std::string names = command->argSummary;
    const bool lastOptional = !expected.empty() && expected.back() == '?';
    const bool repeated = !expected.empty() && expected.back() == '+';
    if (lastOptional || repeated)
        expected.pop_back();
    const std::size_t required = protocol::requiredArgs(*command);
    const std::string want = "expected (" + (names.empty() ? std::string("no arguments") : names) + "), got (" +
                             describeTypes(types) + ")";
    if (repeated && argc / static_cast<int>(expected.size()) > kMaxEditsPerRequest)
        return replyError(request, "at most " + std::to_string(kMaxEditsPerRequest) + " groups of (" + names +
                                       ") in one request, got " + std::to_string(argc / static_cast<int>(expected.size())) +
                                       "; send them in several requests");
    if (repeated ? (argc < static_cast<int>(required) || argc % static_cast<int>(expected.size()) != 0)
                 : (argc < static_cast<int>(required) || argc > static_cast<int>(expected.size())))
        return replyError(request, want);
    for (int i = 0; i < argc; ++i) {
        const char t = types[i];
        const void* a = argv[i];
        char kind = expected[static_cast<std::size_t>(i) % expected.size()];
        if (kind == 'v') // a number, or text for a text form (a sequencer's pattern)
            kind = t == 's' || t == 'S' ? 't' : 'n';
        switch (kind) {
        case 't': {
            const char* s = oscarg::text(a);
            const std::size_t n = std::strlen(s);
            if (!validUtf8(s, n))
                return replyError(request, "argument " + std::to_string(i + 1) + " is not valid UTF-8");
            if (n > engine::PatchGraph::kMaxTextSize)
                return replyError(request, "argument " + std::to_string(i + 1) + " is too long (" + std::to_string(n) +
                                               " bytes; text values are at most " +
                                               std::to_string(engine::PatchGraph::kMaxTextSize) + ")");
            request.args.emplace_back(std::string(s, n));
            break;
        }
        case 's':
            if (t != 's' && t != 'S')
                return replyError(request, want);
            {
                const char* s = oscarg::text(a);
                const std::size_t n = std::strlen(s);
                if (!validUtf8(s, n))
                    return replyError(request, "argument " + std::to_string(i + 1) + " is not valid UTF-8");
                if (n > 1024)
                    return replyError(request, "argument " + std::to_string(i + 1) + " is too long (" +
                                                   std::to_string(n) + " bytes; ids are at most 64)");
                request.args.emplace_back(std::string(s, n));
            }
            break;
        case 'n': {
            double v = 0.0;
            if (t == 'i')
                v = oscarg::read<std::int32_t>(a);
            else if (t == 'h')
                v = static_cast<double>(oscarg::read<std::int64_t>(a));
            else if (t == 'f')
                v = static_cast<double>(oscarg::read<float>(a));
            else if (t == 'd')
                v = oscarg::read<double>(a);
            else
                return replyError(request, want);
            if (!std::isfinite(v))
                return replyError(request, "argument " + std::to_string(i + 1) + " must be a finite number");
            request.args.emplace_back(v);
            break;
        }
        case 'g': {
            int on = -1;
            if (t == 'T' || t == 'F')
                on = t == 'T';
            else if (t == 'i' && (oscarg::read<std::int32_t>(a) == 0 || oscarg::read<std::int32_t>(a) == 1))
                on = oscarg::read<std::int32_t>(a);
            else if (t == 'f' && (oscarg::read<float>(a) == 0.0f || oscarg::read<float>(a) == 1.0f))
                on = oscarg::read<float>(a) == 1.0f;
            else if (t == 'd' && (oscarg::read<double>(a) == 0.0 || oscarg::read<double>(a) == 1.0))
                on = oscarg::read<double>(a) == 1.0;
            else if (t == 's' || t == 'S') {
                const std::string s = oscarg::text(a);
                if (s == "1" || s == "on" || s == "true")
                    on = 1;
                else if (s == "0" || s == "off" || s == "false")
                    on = 0;
            }
            if (on < 0)
                return replyError(request, "a gate takes 1/0, on/off or true/false");
            request.args.emplace_back(static_cast<std::int32_t>(on));
            break;
        }
        default: break;
        }
    }

    // Answered here: they read lock-free or constant state.
    using protocol::Op;
    if (command->op == Op::Status) {
        bool json = false;
        if (!request.args.empty()) {
            if (std::get<std::string>(request.args[0]) != "json")
                return replyError(request, "the only option is \"json\"");
            json = true;
        }
        return reply(request, statusValues(json));
    }
    if (command->op == Op::Schema)
        return reply(request, {m_schemaJson});
    if (command->op == Op::RecordStart || command->op == Op::RecordStop || command->op == Op::RecordStatus) {
        if (!m_recorder)
            return replyError(request, "recording is not available: this server has no recorder");
        if (command->op == Op::RecordStatus) // never waits for the disk
            return reply(request, recordStatusValues());
    }

    {
        std::lock_guard lock(m_queueMutex);
        if (m_queue.size() >= m_options.queueCapacity) {
            m_busy.fetch_add(1);
            return replyError(request, "busy: " + std::to_string(m_options.queueCapacity) +
                                           " requests are waiting; this one was not applied");
        }
        m_queue.push_back(std::move(request));
    }
    if (m_currentTcp)
        ++m_currentTcp->awaiting; // its answer comes from the controller, through m_out
    m_queueChanged.notify_one();
}

std::vector<OscServer::Value> OscServer::statusValues(bool json) const {
    const engine::EngineStats stats = m_engine.stats();
    DriverStatus driver;
    if (m_driver)
        driver = driverStatus(*m_driver);
    QJsonObject object = statusJson(stats, driver);
    object.insert("autosave_problem", QString::fromStdString(m_options.autosaveProblem));
    if (json)
        return {QJsonDocument(object).toJson(QJsonDocument::Compact).toStdString()};
    // Typed key/value pairs, slots flattened as slot0_..., slot1_...
    std::vector<Value> values;
    const auto add = [&](const QString& key, const QJsonValue& v) {
        values.emplace_back(key.toStdString());
        if (v.isBool())
            values.emplace_back(static_cast<std::int32_t>(v.toBool()));
        else if (v.isString())
            values.emplace_back(v.toString().toStdString());
        else {
            const double d = v.toDouble();
            if (d == std::floor(d) && std::fabs(d) < 2e9)
                values.emplace_back(static_cast<std::int32_t>(d));
            else
                values.emplace_back(d);
        }
    };
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (it.key() == "slots") {
            const QJsonArray slotArray = it.value().toArray();
            for (int i = 0; i < slotArray.size(); ++i) {
                const QJsonObject slotObject = slotArray[i].toObject();
                for (auto s = slotObject.begin(); s != slotObject.end(); ++s)
                    add(QStringLiteral("slot%1_%2").arg(i).arg(s.key()), s.value());
            }
        } else {
            add(it.key(), it.value());
        }
    }
    return values;
}

// /record/status: recording (1/0), path ("" before the first recording), duration in seconds,
// dropped frames, error ("" when none).
std::vector<OscServer::Value> OscServer::recordStatusValues() const {
    const RecordingStatus st = m_recorder->status();
    const auto dropped = static_cast<std::int32_t>(std::min<std::uint64_t>(st.droppedFrames, INT32_MAX));
    return {static_cast<std::int32_t>(st.recording), st.path.toStdString(), st.seconds, dropped, st.error.toStdString()};
}

// The patch controller's thread: /record/start [name] -> path; /record/stop -> path, duration in seconds.
void OscServer::executeMidi(const Request& r) {
    if (r.command->op == protocol::Op::MidiOut) {
        if (!m_midiOut || !m_midiOutCallback)
            return replyError(r, "MIDI output is not available: this server has none");
        const std::string port = std::get<std::string>(r.args[0]);
        m_midiOutCallback->setMidiOut(nullptr); // the callback stops sending before the port changes
        if (port == "none") {
            m_midiOut->close();
            return reply(r, {std::string()});
        }
        if (Status s = m_midiOut->open(port); !s)
            return replyError(r, s.message());
        m_midiOutCallback->setMidiOut(m_midiOut);
        return reply(r, {m_midiOut->connectedPort()});
    }
    if (!m_midi)
        return replyError(r, "MIDI is not available: this server has no MIDI input");
    if (r.command->op == protocol::Op::MidiDevices) {
        audio::MidiApi api = audio::MidiApi::Auto;
        auto ports = audio::MidiInput::listPorts(audio::MidiApi::Auto, &api);
        if (!ports) // neither a JACK server nor the ALSA sequencer: no sources
            return reply(r, {std::string("none")});
        std::vector<Value> values{std::string(audio::midiApiName(api))};
        for (const audio::MidiPort& p : ports.value()) {
            values.emplace_back(p.name);
            values.emplace_back(static_cast<std::int32_t>(p.hardware));
        }
        return reply(r, std::move(values));
    }
    if (Status s = m_midi->open(std::get<std::string>(r.args[0])); !s)
        return replyError(r, s.message());
    return reply(r, {m_midi->requested(), m_midi->connected()});
}

namespace {
std::vector<OscServer::Value> mappingValues(const engine::MidiMapping& m) {
    return {m.target(), static_cast<std::int32_t>(m.cc), static_cast<std::int32_t>(m.channel), m.min, m.max};
}
// "osc1.freq" -> module and parameter; false when it is not that shape.
bool splitTarget(const std::string& target, std::string& module, std::string& param) {
    const auto dot = target.find('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == target.size())
        return false;
    module = target.substr(0, dot);
    param = target.substr(dot + 1);
    return true;
}
} // namespace

// The patch controller's thread: /midi/map, /midi/unmap, /midi/maps, /midi/learn.
void OscServer::executeMidiMap(const Request& r) {
    using protocol::Op;
    using Edit = PatchController::Edit;
    const Op op = r.command->op;
    if (op == Op::MidiMaps) {
        std::vector<Value> values;
        const engine::PatchGraph pending = m_patch.pending();
        for (const engine::MidiMapping& m : pending.midiMappings())
            for (Value& v : mappingValues(m))
                values.push_back(std::move(v));
        return reply(r, std::move(values));
    }
    std::string module, param;
    if (!splitTarget(std::get<std::string>(r.args[0]), module, param))
        return replyError(r, "expected module.param, got '" + printable(std::get<std::string>(r.args[0])) + "'");
    const engine::PatchGraph pending = m_patch.pending();
    const engine::PatchNode* node = pending.find(module);
    if (!node)
        return replyError(r, "no module '" + module + "' (modules: " + pending.moduleIdList() + ")");
    const engine::ParamIndex index = node->type->findParam(param);
    if (index < 0)
        return replyError(r, "module '" + module + "' (" + node->type->id + ") has no parameter '" + param + "'");
    const engine::ParamSpec& spec = node->type->params[static_cast<std::size_t>(index)];
    const QString text = QStringLiteral("MIDI mapping of %1 (OSC)").arg(QString::fromStdString(module + "." + param));
    if (op == Op::MidiUnmap) {
        bool cancelled = false;
        {
            std::lock_guard lock(m_learnMutex);
            cancelled = m_learning && m_learning->module == module && m_learning->param == spec.id;
        }
        if (cancelled)
            cancelLearning("learning " + module + "." + spec.id + " was cancelled: /midi/unmap of it");
        if (cancelled && !pending.findMidiMapping(module, param))
            return reply(r, {module + "." + spec.id});
        if (Status s = m_patch.edit(Author::Agent, text, [&](Edit& e) { return e.removeMidiMapping(module, param); }); !s)
            return replyError(r, s.message());
        return reply(r, {module + "." + spec.id});
    }
    engine::MidiMapping m;
    m.module = module;
    m.param = param;
    m.min = spec.min;
    m.max = spec.max;
    if (op == Op::MidiLearn) {
        // Checked now, so that a mapping the patch refuses is said at once, not after the wait.
        m.cc = 0;
        engine::PatchGraph probe = pending;
        if (auto checked = probe.setMidiMapping(m); !checked)
            return replyError(r, checked.status().message());
        const double seconds = r.args.size() > 1 ? std::get<double>(r.args[1]) : 30.0;
        if (seconds < 1.0 || seconds > 600.0)
            return replyError(r, "the timeout must be 1 to 600 seconds");
        cancelLearning("learning " + module + "." + spec.id + " was cancelled: another /midi/learn");
        {
            std::lock_guard lock(m_learnMutex);
            Learning l;
            l.request = r;
            l.module = module;
            l.param = spec.id;
            l.seenAtStart = m_engine.lastController().count;
            l.seconds = seconds;
            l.deadline = std::chrono::steady_clock::now() +
                         std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000.0));
            l.generation = ++m_learnGeneration;
            m_learning = std::move(l);
        }
        m_learnWaiting.store(true);
        if (r.answer) { // the next requests go on; this one is answered when it is over
            std::lock_guard lock(r.answer->mutex);
            r.answer->done = true;
            r.answer->answered.notify_all();
        }
        return;
    }
    const double cc = std::get<double>(r.args[1]);
    const double channel = r.args.size() > 2 ? std::get<double>(r.args[2]) : 0.0;
    if (cc != std::floor(cc) || cc < 0 || cc > 127)
        return replyError(r, "MIDI controller " + QString::number(cc).toStdString() + " for " + module + "." + spec.id + " is not 0-127");
    if (channel != std::floor(channel) || channel < 0 || channel > 16)
        return replyError(r, "MIDI channel " + QString::number(channel).toStdString() + " for " + module + "." + spec.id +
                                 " is not 0 (any) or 1-16");
    m.cc = static_cast<int>(cc);
    m.channel = static_cast<int>(channel);
    for (std::size_t i = 3; i < r.args.size(); ++i) {
        if (!std::holds_alternative<double>(r.args[i]))
            return replyError(r, "min and max are numbers");
        (i == 3 ? m.min : m.max) = std::get<double>(r.args[i]);
    }
    engine::Result<engine::MidiMapping> applied = m;
    if (Status s = m_patch.edit(Author::Agent, text, [&](Edit& e) {
            applied = e.setMidiMapping(m);
            return applied.status();
        });
        !s)
        return replyError(r, s.message());
    return reply(r, mappingValues(applied.value()));
}

void OscServer::checkLearning() {
    std::uint64_t generation = 0;
    {
        std::lock_guard lock(m_learnMutex);
        if (!m_learning || m_learning->finishing) {
            m_learnWaiting.store(m_learning.has_value() && !m_learning->finishing);
            return;
        }
        if (m_engine.lastController().count == m_learning->seenAtStart &&
            std::chrono::steady_clock::now() < m_learning->deadline)
            return;
        m_learning->finishing = true;
        generation = m_learning->generation;
    }
    m_learnWaiting.store(false);
    m_patch.post([this, alive = m_alive, generation] {
        if (alive->load())
            finishLearning(generation);
    });
}

void OscServer::finishLearning(std::uint64_t generation) {
    std::optional<Learning> l;
    {
        std::lock_guard lock(m_learnMutex);
        if (!m_learning || m_learning->generation != generation)
            return; // cancelled meanwhile: answered then
        l = std::move(m_learning);
        m_learning.reset();
    }
    const engine::SlotEngine::ControllerSeen seen = m_engine.lastController();
    if (seen.count == l->seenAtStart)
        return replyError(l->request, "no controller moved within " + QString::number(l->seconds).toStdString() +
                                          " s; nothing was mapped to " + l->module + "." + l->param);
    engine::MidiMapping m;
    m.module = l->module;
    m.param = l->param;
    m.cc = seen.cc;
    m.channel = seen.channel;
    const engine::PatchGraph pending = m_patch.pending();
    if (const engine::PatchNode* node = pending.find(m.module)) {
        const engine::ParamIndex index = node->type->findParam(m.param);
        if (index >= 0) {
            m.min = node->type->params[static_cast<std::size_t>(index)].min;
            m.max = node->type->params[static_cast<std::size_t>(index)].max;
        }
    }
    engine::Result<engine::MidiMapping> applied = m;
    const QString text = QStringLiteral("MIDI learn of %1 (OSC)").arg(QString::fromStdString(m.target()));
    if (Status s = m_patch.edit(Author::Agent, text, [&](PatchController::Edit& e) {
            applied = e.setMidiMapping(m);
            return applied.status();
        });
        !s)
        return replyError(l->request, s.message());
    reply(l->request, mappingValues(applied.value()));
}

void OscServer::cancelLearning(const std::string& why) {
    std::optional<Learning> l;
    {
        std::lock_guard lock(m_learnMutex);
        if (!m_learning)
            return;
        l = std::move(m_learning);
        m_learning.reset();
    }
    m_learnWaiting.store(false);
    replyError(l->request, why);
}

void OscServer::executeRecord(const Request& r) {
    if (r.command->op == protocol::Op::RecordStart) {
        const QString name = r.args.empty() ? QString() : QString::fromStdString(std::get<std::string>(r.args[0]));
        auto started = m_recorder->start(name);
        if (!started)
            return replyError(r, started.status().message());
        return reply(r, {started.value().toStdString()});
    }
    auto finished = m_recorder->stop();
    if (!finished)
        return replyError(r, finished.status().message());
    return reply(r, {finished->path.toStdString(), finished->seconds});
}

void OscServer::controllerLoop() {
    while (true) {
        Request request;
        {
            std::unique_lock lock(m_queueMutex);
            const auto ready = [&] { return m_stop.load() || !m_queue.empty(); };
            if (m_learnWaiting.load()) // a /midi/learn waits: look for its controller every 10 ms
                m_queueChanged.wait_for(lock, std::chrono::milliseconds(10), ready);
            else
                m_queueChanged.wait(lock, ready);
            if (m_stop.load())
                return;
            if (m_queue.empty()) {
                lock.unlock();
                checkLearning();
                continue;
            }
            request = std::move(m_queue.front());
            m_queue.pop_front();
        }
        // The patch controller runs it on its thread (here, or the editor's GUI thread); the next
        // request waits for this one's answer (a commit's comes when its outcome is known).
        const auto answer = std::make_shared<Request::Answer>();
        request.answer = answer;
        m_patch.post([this, alive = m_alive, request] {
            if (!alive->load())
                return;
            try {
                execute(request);
            } catch (const std::exception& e) {
                replyError(request, std::string("internal error: ") + e.what());
            }
        });
        std::unique_lock lock(answer->mutex);
        while (!answer->answered.wait_for(lock, std::chrono::milliseconds(50), [&] { return answer->done; }))
            if (m_stop.load())
                return;
    }
}

// The patch controller's thread: every change goes through the controller, as an agent's step.
void OscServer::execute(const Request& r) {
    const std::string& a = r.address;
    using Edit = PatchController::Edit;
    const QString agentEdit = QStringLiteral("Agent edit (OSC)");
    const auto str = [&](std::size_t i) -> const std::string& { return std::get<std::string>(r.args[i]); };
    const auto num = [&](std::size_t i) { return std::get<double>(r.args[i]); };
    const auto fail = [&](const Status& s) { replyError(r, s.message()); };

    using protocol::Op;
    const protocol::Command& command = *r.command; // handle() found it in the protocol table

    // --fresh-after-commit: the first edit after a commit starts from the empty patch. Not at the
    // commit itself: until then the standby stays an in-step mirror (failover keeps working), and a
    // commit sent twice (a retry after a lost reply) commits what plays again, not silence.
    if (m_clearBeforeEdit && command.edit) {
        if (Status s = m_patch.edit(Author::Agent, agentEdit, [](Edit& e) { return e.clear(); }); !s)
            return replyError(r, "the pending patch could not be emptied for this edit: " + s.message());
        m_clearBeforeEdit = false;
    }
    if (command.setsPending)
        m_clearBeforeEdit = false; // they set the pending patch themselves

    // Slot operations: their answer goes when the outcome is known (the controller's thread may
    // be the editor's, which does not wait for them).
    const auto outcome = [this, r, alive = m_alive](auto answer) {
        return [this, r, alive, answer](const engine::OperationEvent& event) {
            if (!alive->load())
                return;
            if (event.outcome != engine::OperationOutcome::Done)
                return replyError(r, printable(event.status.message()));
            answer(event);
        };
    };
    switch (command.op) {
    case Op::Create: {
        // Several modules at once: all or none (checked on a copy first; one step of the controller's).
        std::vector<Value> values;
        const Status s = m_patch.batch(Author::Agent, agentEdit, [&](Edit& e) {
            values.clear();
            for (std::size_t i = 0; i < r.args.size(); i += 2) {
                if (Status added = e.addModule(str(i), str(i + 1)); !added)
                    return added;
                values.emplace_back(str(i));
                values.emplace_back(std::string(engine::ModuleRegistry::instance().find(str(i + 1))->id));
            }
            return Status{};
        });
        if (!s)
            return fail(s);
        return reply(r, values);
    }
    case Op::Connect:
    case Op::Disconnect: {
        const bool connect = a == "/patch/connect";
        std::vector<Value> values;
        const Status s = m_patch.batch(Author::Agent, agentEdit, [&](Edit& e) {
            values.clear();
            for (std::size_t i = 0; i < r.args.size(); i += 2) {
                if (Status done = connect ? e.connect(str(i), str(i + 1)) : e.disconnect(str(i), str(i + 1)); !done)
                    return done;
                values.emplace_back(str(i));
                values.emplace_back(str(i + 1));
            }
            return Status{};
        });
        if (!s)
            return fail(s);
        return reply(r, values);
    }
    case Op::Delete: {
        if (Status s = m_patch.edit(Author::Agent, agentEdit, [&](Edit& e) { return e.removeModule(str(0)); }); !s)
            return fail(s);
        return reply(r, {str(0)});
    }
    case Op::Clear: {
        if (Status s = m_patch.edit(Author::Agent, agentEdit, [](Edit& e) { return e.clear(); }); !s)
            return fail(s);
        return reply(r, {});
    }
    case Op::Set: {
        // id, param, value triples: all or none (checked on a copy first; one step of the
        // controller's). A string value is a text form (a sequencer's pattern or notes).
        const engine::PatchGraph before = m_patch.pending();
        std::vector<Value> values;
        std::vector<Value> notes;
        const Status s = m_patch.batch(Author::Agent, agentEdit, [&](Edit& e) {
            values.clear();
            notes.clear();
            for (std::size_t i = 0; i < r.args.size(); i += 3) {
                const std::string& id = str(i);
                const std::string& param = str(i + 1);
                Status failed;
                if (std::holds_alternative<std::string>(r.args[i + 2])) {
                    auto applied = e.setPendingText(id, param, str(i + 2));
                    if (applied) {
                        values.insert(values.end(), {id, param, applied.value()});
                        continue;
                    }
                    failed = applied.status();
                } else {
                    auto applied = e.setPending(id, param, num(i + 2));
                    if (applied) {
                        values.insert(values.end(), {id, param, applied.value()});
                        // One edit: a note says what clamping did. Several: the applied values say it.
                        if (applied.value() != num(i + 2) && r.args.size() == 3)
                            if (const engine::PatchNode* node = before.find(id)) {
                                const engine::ParamSpec& spec =
                                    node->type->params[static_cast<std::size_t>(node->type->findParam(param))];
                                notes.emplace_back("clamped to " + QString::number(static_cast<double>(spec.min)).toStdString() +
                                                   ".." + QString::number(static_cast<double>(spec.max)).toStdString());
                            }
                        continue;
                    }
                    failed = applied.status();
                }
                return failed;
            }
            return Status{};
        });
        if (!s)
            return fail(s);
        values.insert(values.end(), notes.begin(), notes.end());
        return reply(r, values);
    }
    case Op::Prime: {
        const int slot = m_engine.standbySlot();
        return m_patch.run(Author::Agent, engine::SlotOperation::Prime, -1.0,
                           outcome([this, r, slot](const engine::OperationEvent& e) {
                               reply(r, {static_cast<std::int32_t>(slot), e.primeMs});
                           }));
    }
    case Op::Commit:
    case Op::UndoCommit: {
        const double fade = r.args.empty() ? -1.0 : num(0);
        if (fade > 10000.0)
            return replyError(r, "the fade must be at most 10000 ms");
        return m_patch.run(Author::Agent,
                           command.op == Op::Commit ? engine::SlotOperation::Commit : engine::SlotOperation::UndoCommit,
                           fade, outcome([this, r](const engine::OperationEvent& e) {
                               m_clearBeforeEdit = m_options.freshAfterCommit;
                               reply(r, {static_cast<std::int32_t>(e.report.slot), e.report.primeMs, e.report.commitMs});
                           }));
    }
    case Op::Abort: {
        return m_patch.run(Author::Agent, engine::SlotOperation::Abort, -1.0,
                           outcome([this, r](const engine::OperationEvent&) {
                               reply(r, {static_cast<std::int32_t>(m_engine.standbySlot())});
                           }));
    }
    case Op::Undo:
    case Op::Redo: {
        // The agents' own last step, on the patch as it is: the person's edits stay.
        const bool undo = command.op == Op::Undo;
        const UndoHistory& history = m_patch.history(Author::Agent);
        const std::string text = (undo ? history.undoText() : history.redoText()).toStdString();
        if (Status s = undo ? m_patch.undo(Author::Agent) : m_patch.redo(Author::Agent); !s)
            return fail(s);
        return reply(r, {text});
    }
    case Op::Validate: {
        const engine::PatchGraph pending = m_patch.pending();
        auto plan = engine::Plan::compile(pending, {m_engine.config().sampleRate, m_engine.config().blockSize});
        if (!plan)
            return fail(plan.status());
        return reply(r, {static_cast<std::int32_t>(pending.nodes().size()),
                         static_cast<std::int32_t>(pending.cables().size())});
    }
    case Op::Dump: {
        // Compact: no indentation (a third of an indented dump's size).
        return reply(r, {serializePatch(m_patch.pending(), JsonLayout::Compact).toStdString(),
                         serializePatch(m_patch.committed(), JsonLayout::Compact).toStdString()});
    }
    case Op::Save:
    case Op::Load: {
        const QString name = safeName(str(0));
        if (name.isEmpty())
            return replyError(r, "a patch name is 1-64 letters, digits, spaces, '_', '-' or '.', with no path");
        if (m_options.patchesDir.isEmpty())
            return replyError(r, "no patches folder is configured");
        const QString path = QDir(m_options.patchesDir).filePath(name);
        // A link planted in the folder would take a save or a load outside it: names are files
        // of the folder itself, never links (lstat: the link, not what it points to).
        if (struct stat link {}; ::lstat(QFile::encodeName(path).constData(), &link) == 0 && !S_ISREG(link.st_mode))
            return replyError(r, "'" + name.toStdString() + "' in the patches folder is " +
                                     (S_ISLNK(link.st_mode) ? "a symbolic link" : "not a regular file") +
                                     "; patches are read and written only as plain files of that folder");
        if (a == "/patch/save") {
            QDir().mkpath(m_options.patchesDir);
            if (Status s = savePatchFile(m_patch.pending(), path); !s)
                return fail(s);
            return reply(r, {QFileInfo(path).absoluteFilePath().toStdString()});
        }
        auto loaded = loadPatchFile(path, FollowLinks::No); // a link planted after the lstat is refused too
        if (!loaded)
            return fail(loaded.status());
        if (Status s = m_patch.edit(Author::Agent, agentEdit, [&](Edit& e) { return e.load(loaded->graph); }); !s)
            return fail(s);
        std::vector<Value> values{QFileInfo(path).absoluteFilePath().toStdString(),
                                  static_cast<std::int32_t>(loaded->graph.nodes().size())};
        for (const QString& warning : loaded->warnings) // e.g. values clamped to their range
            values.emplace_back(warning.toStdString());
        return reply(r, values);
    }
    case Op::RecordStart:
    case Op::RecordStop:
        return executeRecord(r);
    case Op::RecordStatus:
    case Op::Status:
    case Op::Schema:
        break; // answered on the network thread
    case Op::Mod: {
        const std::string rest = a.substr(5);
        const auto slash = rest.find('/');
        if (std::holds_alternative<std::string>(r.args[0])) {
            std::string applied;
            if (Status s = m_patch.edit(Author::Agent, agentEdit, [&](Edit& e) {
                    auto set = e.setLiveText(rest.substr(0, slash), rest.substr(slash + 1), str(0));
                    applied = set ? set.value() : std::string();
                    return set.status();
                });
                !s)
                return fail(s);
            return reply(r, {applied});
        }
        engine::Result<double> applied = 0.0;
        if (Status s = m_patch.edit(Author::Agent, agentEdit, [&](Edit& e) {
                applied = e.setLive(rest.substr(0, slash), rest.substr(slash + 1), num(0));
                return applied.status();
            });
            !s)
            return fail(s);
        if (applied.value() != num(0))
            return reply(r, {applied.value(), std::string("clamped")});
        return reply(r, {applied.value()});
    }
    case Op::MidiDevices:
    case Op::MidiIn:
    case Op::MidiOut:
        return executeMidi(r);
    case Op::MidiMap:
    case Op::MidiUnmap:
    case Op::MidiMaps:
    case Op::MidiLearn:
        return executeMidiMap(r);
    case Op::Gate: {
        const bool on = std::get<std::int32_t>(r.args[0]) != 0;
        if (Status s = m_patch.gate(a.substr(6), on); !s)
            return fail(s);
        return reply(r, {static_cast<std::int32_t>(on)});
    }
    }
    replyError(r, "not handled");
}

} // namespace chronus::app
