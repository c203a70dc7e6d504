#include "CtlCommand.hpp"

#include "OscArgs.hpp"
#include "Protocol.hpp"

#include "CommandLine.hpp"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>

#include <array>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QTextStream>

#include <lo/lo.h>

#include <algorithm>
#include <map>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <optional>
#include <thread>
#include <unistd.h>
#include <cstring>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <utility>
#include <variant>
#include <vector>

namespace chronus::app {

namespace {

constexpr int kDefaultPort = 5005;
constexpr int kDefaultTimeoutMs = 2000;
// prime, commit, undo-commit and load compile and warm up a graph on the server: give them longer.
constexpr int kSlowTimeoutMs = 10000;
constexpr int kDefaultWatchIntervalMs = 500;

enum ExitCode : int { kExitOk = 0, kExitServerError = 1, kExitUsage = 2, kExitNoAnswer = 3 };

std::atomic<bool> g_interrupted{false};
std::atomic<int> g_signal{0}; // the signal that interrupted us: the exit status says which (128 + n)
extern "C" void onInterrupt(int signal) {
    g_signal.store(signal);
    g_interrupted.store(true);
}

QTextStream& out() {
    return stdOut();
}
QTextStream& err() {
    return stdErr();
}

// One OSC argument as the client sends it.
using OscArg = std::variant<QString, float, std::int32_t>;

struct Request {
    QString address;
    std::vector<OscArg> args;
    bool slow = false; // waits kSlowTimeoutMs unless --timeout says otherwise
};

// The server's answer to one request: /reply (values after the echoed address) or /error.
struct Reply {
    bool error = false;
    QJsonArray values;
    std::string types; // the values' OSC type tags, for naming them from the protocol table
    QString message;
};

// A float as the shortest decimal that reads back as the same float, so 0.42f prints and
// serialises as 0.42, not 0.41999998688697815.
double shortestDouble(float f) {
    if (!std::isfinite(f))
        return static_cast<double>(f);
    char buffer[64];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, f);
    double d = 0.0;
    std::from_chars(buffer, result.ptr, d);
    return d;
}

QString formatNumber(double v) {
    if (v == std::floor(v) && std::fabs(v) < 1e15)
        return QString::number(static_cast<qint64>(v));
    // Values that went through a float (ranges, OSC 'f' replies) print as the float they are.
    const auto f = static_cast<float>(v);
    if (std::isfinite(f) && static_cast<double>(f) == v)
        v = shortestDouble(f);
    return QString::number(v, 'g', QLocale::FloatingPointShortest);
}

QString formatMs(double v) {
    return QString::number(v, 'f', 2) + " ms";
}

QJsonValue argToJson(char type, const void* a) {
    using oscarg::read;
    switch (type) {
    case LO_INT32:
        return read<std::int32_t>(a);
    case LO_INT64:
        return static_cast<qint64>(read<std::int64_t>(a));
    case LO_FLOAT: {
        const float f = read<float>(a);
        return std::isfinite(f) ? QJsonValue(shortestDouble(f)) : QJsonValue(QString::number(static_cast<double>(f)));
    }
    case LO_DOUBLE: {
        const double d = read<double>(a);
        return std::isfinite(d) ? QJsonValue(d) : QJsonValue(QString::number(d));
    }
    case LO_STRING:
    case LO_SYMBOL:
        return QString::fromUtf8(oscarg::text(a));
    case LO_CHAR:
        return QString(QChar(static_cast<char16_t>(read<std::int32_t>(a) & 0xff)));
    case LO_TRUE:
        return true;
    case LO_FALSE:
        return false;
    case LO_NIL:
        return QJsonValue::Null;
    case LO_INFINITUM:
        return QStringLiteral("infinitum");
    case LO_MIDI: {
        const auto m = read<std::array<std::uint8_t, 4>>(a);
        return QJsonArray{m[0], m[1], m[2], m[3]};
    }
    case LO_TIMETAG: {
        const auto t = read<std::array<std::uint32_t, 2>>(a);
        return static_cast<double>(t[0]) + static_cast<double>(t[1]) / 4294967296.0;
    }
    case LO_BLOB: // a received blob is its size followed by its bytes
        return QString::fromLatin1(
            QByteArray(oscarg::blobData(a), static_cast<qsizetype>(read<std::int32_t>(a))).toBase64());
    default:
        return QJsonValue::Null;
    }
}

// One request at a time over one TCP connection to the server (OSC 1.0 stream framing: each packet
// preceded by its size, int32 big-endian), so a reply of any size arrives (a dump of a big patch).
// Every request goes in a bundle with a request id, `/request/id <id>` first; the answer is taken only
// when it comes back with that id. Over TCP nobody else can slip a datagram in, and the id keeps a late
// answer to an earlier request (one that timed out under `status --watch`) from passing for the
// answer to this one. A connection that breaks is opened again for the next request.
class OscClient {
public:
    // Closed: the server ended the connection before answering (it does not allow our address, or
    // has all the connections it takes).
    enum class Outcome { Answered, NoAnswer, Closed, SendFailed };

    OscClient(const QString& host, int port) : m_host(host), m_port(port) {
        // Ids start somewhere else in every run: a reply meant for another client cannot match.
        m_nextId = (static_cast<std::uint32_t>(::getpid()) * 2654435761u) ^
                   static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    }
    ~OscClient() { disconnect(); }
    OscClient(const OscClient&) = delete;
    OscClient& operator=(const OscClient&) = delete;

    // Sends `request` and waits up to `timeoutMs` for the /reply or /error carrying its request id
    // and naming its address. Connecting is retried within the timeout (a server still starting).
    // Returns early, with NoAnswer, when g_interrupted is raised.
    Outcome send(const Request& request, int timeoutMs, Reply* reply, QString* why) {
        QElapsedTimer clock;
        clock.start();
        const auto left = [&] { return timeoutMs - clock.elapsed(); };
        const auto id = static_cast<std::int32_t>(m_nextId++); // unsigned: wraps without overflow
        const std::vector<std::uint8_t> frame = framed(id, request);
        // A connection kept from an earlier request (status --watch) may have ended meanwhile (the
        // server restarted): then once more on a new one.
        for (int attempt = 0;; ++attempt) {
            const bool reused = m_fd >= 0;
            const Outcome outcome = exchange(frame, id, request.address.toUtf8(), left, reply, why);
            if (outcome != Outcome::Closed || !reused || attempt > 0)
                return outcome;
        }
    }

private:
    template <class Left>
    Outcome exchange(const std::vector<std::uint8_t>& frame, std::int32_t id, const QByteArray& expected, const Left& left,
                     Reply* reply, QString* why) {
        while (m_fd < 0) {
            const auto connected = connect(why, left);
            if (connected == Connect::Failed)
                return Outcome::SendFailed;
            if (connected == Connect::Done)
                break;
            if (left() <= 0 || g_interrupted.load()) // nobody listens (yet)
                return Outcome::NoAnswer;
            std::this_thread::sleep_for(std::chrono::milliseconds(std::clamp<qint64>(left(), 1, 50)));
        }
        if (!writeAll(frame, left)) {
            const bool broken = !g_interrupted.load() && left() > 0;
            disconnect();
            return broken ? Outcome::Closed : Outcome::NoAnswer;
        }
        while (!g_interrupted.load()) {
            std::vector<std::uint8_t> packet;
            if (!readFrame(&packet, left)) // timed out, or the connection broke (then closed)
                return m_fd < 0 ? Outcome::Closed : Outcome::NoAnswer;
            if (accept(packet, id, expected, reply))
                return Outcome::Answered;
            // Another id (a late answer to an earlier request), or no id: not ours.
        }
        return Outcome::NoAnswer;
    }

    enum class Connect { Done, Refused, Failed };
    static constexpr std::size_t kMaxFrame = 16u << 20; // the server's bound

    // Refused: nobody listens there (yet), or no answer to the handshake within the timeout.
    template <class Left> Connect connect(QString* why, const Left& left) {
        addrinfo hints{};
        hints.ai_family = AF_INET;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* found = nullptr;
        const int resolved = ::getaddrinfo(m_host.toUtf8().constData(), QByteArray::number(m_port).constData(), &hints, &found);
        if (resolved != 0 || !found) {
            *why = QString::fromUtf8(::gai_strerror(resolved));
            return Connect::Failed;
        }
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            *why = QString::fromLocal8Bit(std::strerror(errno));
            ::freeaddrinfo(found);
            return Connect::Failed;
        }
        ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); // every wait has a deadline, the handshake's too
        int error = ::connect(fd, found->ai_addr, found->ai_addrlen) == 0 ? 0 : errno;
        ::freeaddrinfo(found);
        m_fd = fd;
        if (error == EINPROGRESS) {
            socklen_t size = sizeof error;
            if (!wait(POLLOUT, left) || ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &size) != 0)
                error = ETIMEDOUT;
        }
        if (error != 0) {
            disconnect();
            if (error == ECONNREFUSED || error == EINTR || error == ETIMEDOUT)
                return Connect::Refused;
            *why = QString::fromLocal8Bit(std::strerror(error));
            return Connect::Failed;
        }
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        m_in.clear();
        return Connect::Done;
    }

    void disconnect() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        m_in.clear();
    }

    // Waits until the socket is ready for `events`, in short slices so that Ctrl+C is seen at once.
    template <class Left> bool wait(short events, const Left& left) {
        while (!g_interrupted.load()) {
            const qint64 ms = left();
            if (ms <= 0)
                return false;
            pollfd p{m_fd, events, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(std::min<qint64>(ms, 100)));
            if (ready > 0)
                return true;
            if (ready < 0 && errno != EINTR)
                return false;
        }
        return false;
    }

    template <class Left> bool writeAll(const std::vector<std::uint8_t>& bytes, const Left& left) {
        for (std::size_t at = 0; at < bytes.size();) {
            const ssize_t n = ::send(m_fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
            if (n > 0) {
                at += static_cast<std::size_t>(n);
                continue;
            }
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return false;
            if (!wait(POLLOUT, left))
                return false;
        }
        return true;
    }

    // The next frame's packet; false on a timeout, a broken connection (closed) or a frame over the bound.
    template <class Left> bool readFrame(std::vector<std::uint8_t>* packet, const Left& left) {
        while (true) {
            if (m_in.size() >= 4) {
                const std::size_t length = bigEndian32(m_in.data());
                if (length > kMaxFrame) {
                    disconnect();
                    return false;
                }
                if (m_in.size() - 4 >= length) {
                    packet->assign(m_in.begin() + 4, m_in.begin() + 4 + static_cast<std::ptrdiff_t>(length));
                    m_in.erase(m_in.begin(), m_in.begin() + 4 + static_cast<std::ptrdiff_t>(length));
                    return true;
                }
            }
            std::uint8_t buffer[65536];
            const ssize_t n = ::recv(m_fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                m_in.insert(m_in.end(), buffer, buffer + n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                disconnect(); // the server went away: the next request connects again
                return false;
            }
            if (!wait(POLLIN, left))
                return false;
        }
    }

    static std::uint32_t bigEndian32(const std::uint8_t* p) {
        return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
    }
    // The frame: its size, then #bundle [/request/id <id>] [the request]. Serialised here, not with
    // liblo (see OscArgs.hpp).
    static std::vector<std::uint8_t> framed(std::int32_t id, const Request& request) {
        std::vector<std::uint8_t> body;
        oscarg::appendString(body, request.address.toUtf8().toStdString());
        std::string types = ",";
        for (const OscArg& arg : request.args)
            types += std::holds_alternative<QString>(arg) ? 's' : std::holds_alternative<float>(arg) ? 'f' : 'i';
        oscarg::appendString(body, types);
        for (const OscArg& arg : request.args) {
            if (const auto* s = std::get_if<QString>(&arg))
                oscarg::appendString(body, s->toUtf8().constData()); // up to a NUL, as liblo sent it
            else if (const auto* f = std::get_if<float>(&arg))
                oscarg::appendFloat(body, *f);
            else
                oscarg::appendInt32(body, static_cast<std::uint32_t>(std::get<std::int32_t>(arg)));
        }
        static constexpr char kHead[] = "#bundle\0\0\0\0\0\0\0\0\1"; // the time tag: immediately
        std::vector<std::uint8_t> out;
        out.reserve(4 + 16 + 4 + 20 + 4 + body.size());
        oscarg::appendInt32(out, static_cast<std::uint32_t>(16 + 4 + 20 + 4 + body.size()));
        out.insert(out.end(), kHead, kHead + 16);
        oscarg::appendInt32(out, 20);
        oscarg::appendString(out, "/request/id");
        oscarg::appendString(out, ",i");
        oscarg::appendInt32(out, static_cast<std::uint32_t>(id));
        oscarg::appendInt32(out, static_cast<std::uint32_t>(body.size()));
        out.insert(out.end(), body.begin(), body.end());
        return out;
    }

    // True when `packet` is the answer to request `id` for `address`: a bundle of `/request/id <id>`,
    // then `/reply <address> ...` or `/error <address> ...`.
    static bool accept(std::vector<std::uint8_t>& packet, std::int32_t id, const QByteArray& address, Reply* reply) {
        static constexpr char kBundle[] = "#bundle";
        if (packet.size() < 24 || std::memcmp(packet.data(), kBundle, sizeof kBundle) != 0)
            return false;
        std::vector<std::pair<std::uint8_t*, std::size_t>> elements;
        for (std::size_t at = 16; at + 4 <= packet.size();) {
            const std::size_t length = bigEndian32(packet.data() + at);
            at += 4;
            if (length > packet.size() - at)
                return false;
            elements.emplace_back(packet.data() + at, length);
            at += length;
        }
        if (elements.size() != 2)
            return false;
        int result = 0;
        lo_message tag = lo_message_deserialise(elements[0].first, elements[0].second, &result);
        if (!tag)
            return false;
        const bool ours = std::strcmp(reinterpret_cast<const char*>(elements[0].first), "/request/id") == 0 &&
                          std::strcmp(lo_message_get_types(tag), "i") == 0 &&
                          oscarg::read<std::int32_t>(lo_message_get_argv(tag)[0]) == id;
        lo_message_free(tag);
        if (!ours)
            return false;
        lo_message answer = lo_message_deserialise(elements[1].first, elements[1].second, &result);
        if (!answer)
            return false;
        const char* path = reinterpret_cast<const char*>(elements[1].first);
        const char* types = lo_message_get_types(answer);
        lo_arg** argv = lo_message_get_argv(answer);
        const int argc = lo_message_get_argc(answer);
        const bool error = std::strcmp(path, "/error") == 0;
        const bool matches = (error || std::strcmp(path, "/reply") == 0) && argc >= 1 &&
                             (types[0] == LO_STRING || types[0] == LO_SYMBOL) && address == oscarg::text(argv[0]);
        if (matches) {
            *reply = Reply{};
            reply->error = error;
            for (int i = 1; i < argc; ++i) {
                reply->values.append(argToJson(types[i], argv[i]));
                reply->types += types[i];
            }
            if (error) {
                QStringList parts;
                for (const QJsonValue& v : std::as_const(reply->values))
                    parts << (v.isString() ? v.toString()
                                           : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)));
                reply->message = parts.isEmpty() ? QStringLiteral("the server reported an error") : parts.join(' ');
            }
        }
        lo_message_free(answer);
        return matches;
    }

    QString m_host;
    int m_port = 0;
    int m_fd = -1;
    std::vector<std::uint8_t> m_in; // received bytes not yet taken as frames
    std::uint32_t m_nextId = 0;
};

// ---------------------------------------------------------------------------------------------
// Verbs

constexpr auto kExample = R"(Example: build a patch, hear it, play it live
  chronus serve &                      start the engine (add --audio null for no sound)
  chronus ctl create osc1 sine         a sine oscillator, on the pending patch
  chronus ctl create env1 adsr         an envelope
  chronus ctl connect osc1 env1        osc1.out -> env1.in
  chronus ctl connect env1 out         env1.out -> both output channels
  chronus ctl commit                   crossfade to the new patch
  chronus ctl mod osc1 freq 660        live change on the playing patch
  chronus ctl gate env1 on             open the envelope: the sine sounds
  chronus ctl gate env1 off
  chronus ctl status                   what the engine is doing
)";

constexpr auto kFooter = R"(
Edits (create, connect, disconnect, delete, clear, set, load) go to the pending patch on the
standby slot while the active slot keeps playing; 'commit' makes them heard. 'mod' and 'gate'
act on the playing patch at once.

Options may also follow the verb (chronus ctl status --json).
With --json, stdout carries exactly one JSON object per call:
  {"ok":true,"address":"/patch/commit","values":[1,0.42,1.1],"slot":1,"prime_ms":0.42,...}
  {"ok":false,"address":"/patch/create","error":"..."}
Each reply value is also under its field's name (schema's "protocol" lists them per address);
status, schema and dump embed the server's JSON ("status", "schema", "pending"/"committed").

Exit codes: 0 done; 1 the server answered with an error; 2 usage error;
3 no answer within the timeout (is 'chronus serve' running?).
)";

QString helpText(const QCommandLineParser& parser) {
    // The parser's own text supplies the options block, so it cannot drift from the parser.
    const QString generated = parser.helpText();
    QString options;
    const qsizetype begin = generated.indexOf(QLatin1String("Options:"));
    if (begin >= 0) {
        qsizetype end = generated.indexOf(QLatin1String("\nArguments:"), begin);
        options = generated.mid(begin, end < 0 ? -1 : end - begin).trimmed();
    }
    QString text;
    QTextStream s(&text);
    s << "Usage: chronus ctl [--host H] [--port N] [--json] [--timeout MS] VERB ARGS...\n\n"
      << "Send one request to a running 'chronus serve' (OSC over TCP) and print its answer.\n\n"
      << options << "\n\nVerbs:\n";
    for (const protocol::Command& command : protocol::commands()) {
        const QString synopsis = QString::fromStdString(protocol::synopsis(command));
        QStringList lines = QString::fromUtf8(command.verbHelp).split('\n');
        if (synopsis.size() > 20) {
            s << "  " << synopsis << "\n";
        } else {
            s << "  " << synopsis.leftJustified(20) << " " << lines.takeFirst() << "\n";
        }
        for (const QString& line : lines)
            s << QString(23, ' ') << line << "\n";
    }
    s << "\n" << kExample << kFooter;
    return text;
}

struct UsageError {
    QString message;
};

std::optional<float> parseNumber(const QString& text) {
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(v) || std::fabs(v) > static_cast<double>(std::numeric_limits<float>::max()))
        return std::nullopt;
    return static_cast<float>(v);
}

// A value that reads as a number but is none we can send (nan, inf, 1e999): a usage error rather
// than text for a pattern.
bool looksLikeBadNumber(const QString& text) {
    bool ok = false;
    const double v = text.trimmed().toDouble(&ok);
    return (ok && !parseNumber(text)) || text.trimmed().compare(QLatin1String("nan"), Qt::CaseInsensitive) == 0 ||
           std::isinf(v);
}

// Characters OSC reserves in addresses: an id or parameter that holds one cannot be part of
// /mod/<id>/<param> or /gate/<id>.
bool validAddressPart(const QString& part) {
    if (part.isEmpty())
        return false;
    for (const QChar c : part)
        if (c.unicode() <= 0x20 || QStringLiteral("/#*,?[]{}").contains(c))
            return false;
    return true;
}

// Builds the request for VERB ARGS from the protocol table, or says what is wrong with them.
std::variant<Request, UsageError> buildRequest(const QString& verb, const QStringList& all) {
    int words = 1;
    const protocol::Command* c = protocol::findVerb(verb.toStdString(), all.value(0).toStdString(), &words);
    if (!c) {
        QStringList forms; // a two-word verb with an unknown second word: its forms
        for (const protocol::Command& k : protocol::commands())
            if (QString::fromUtf8(k.verb).startsWith(verb + " "))
                forms << QString::fromStdString(protocol::synopsis(k)).mid(verb.size() + 1);
        if (!verb.isEmpty() && !forms.isEmpty())
            return UsageError{QStringLiteral("'%1' takes: %2").arg(verb, forms.join(" | "))};
        QStringList known;
        for (const std::string& name : protocol::verbNames())
            known << QString::fromStdString(name);
        return UsageError{QStringLiteral("unknown verb '%1' (known: %2)").arg(verb, known.join(", "))};
    }
    const QStringList a = all.mid(words - 1);
    const QString name = QString::fromUtf8(c->verb);
    const QString synopsis = QString::fromStdString(protocol::synopsis(*c));
    Request r{QString::fromUtf8(c->address), {}, c->slow};
    if (c->verbSends) { // status: its options are taken off by the caller
        r.args.emplace_back(QString::fromUtf8(c->verbSends));
        return r;
    }
    const std::vector<std::string> parts = protocol::patternNames(*c);
    const auto partCount = static_cast<qsizetype>(parts.size());
    const auto argCount = static_cast<qsizetype>(c->args.size());
    if (c->argsOccur == protocol::Occurs::Group) {
        // Several edits in one request (all or none): create a saw b sine, connect a b b out, ...
        if (a.size() <= partCount || (a.size() - partCount) % argCount != 0)
            return UsageError{QStringLiteral("usage: chronus ctl %1 (got %2 argument%3)")
                                  .arg(synopsis)
                                  .arg(a.size())
                                  .arg(a.size() == 1 ? "" : "s")};
    } else {
        const qsizetype max = partCount + argCount;
        const qsizetype min = partCount + static_cast<qsizetype>(protocol::requiredArgs(*c));
        if (a.size() < min || a.size() > max)
            return UsageError{
                QStringLiteral("'%1' takes %2: %3")
                    .arg(name,
                         min == max
                             ? (min == 0 ? QStringLiteral("no arguments")
                                         : QStringLiteral("%1 argument%2").arg(min).arg(min == 1 ? "" : "s"))
                             : QStringLiteral("%1 to %2 arguments").arg(min).arg(max),
                         synopsis)};
    }
    if (partCount > 0) { // /mod/<id>/<param>, /gate/<id>
        QStringList placeholders;
        bool valid = true;
        for (qsizetype i = 0; i < partCount; ++i) {
            placeholders << QString::fromStdString(parts[static_cast<std::size_t>(i)]).toUpper();
            valid = valid && validAddressPart(a[i]);
        }
        if (!valid)
            return UsageError{
                QStringLiteral("%1 must be non-empty, without spaces or any of / # * , ? [ ] { }")
                    .arg(placeholders.join(" and "))};
        for (qsizetype i = 0; i < partCount; ++i)
            r.address.replace(
                QStringLiteral("<%1>").arg(QString::fromStdString(parts[static_cast<std::size_t>(i)])), a[i]);
    }
    for (qsizetype i = partCount; i < a.size(); ++i) {
        const protocol::Arg& arg = c->args[static_cast<std::size_t>((i - partCount) % argCount)];
        const QString placeholder =
            arg.placeholder ? QString::fromUtf8(arg.placeholder) : QString::fromUtf8(arg.name).toUpper();
        switch (arg.type) {
        case 'n': {
            const auto v = parseNumber(a[i]);
            if (!v || *v < 0.0f)
                return UsageError{
                    QStringLiteral("%1 must be a number, 0 or more (got '%2')").arg(placeholder, a[i])};
            r.args.emplace_back(*v);
            break;
        }
        case 'v':
            if (looksLikeBadNumber(a[i]))
                return UsageError{
                    QStringLiteral("%1 must be a finite number or text (got '%2')").arg(placeholder, a[i])};
            if (const auto v = parseNumber(a[i]))
                r.args.emplace_back(*v);
            else
                r.args.emplace_back(a[i]); // text: a pattern, notes or a label; the server says if it is not
            break;
        case 'g': {
            const QString state = a[i].toLower();
            std::int32_t on = -1;
            if (state == "on" || state == "1" || state == "true")
                on = 1;
            else if (state == "off" || state == "0" || state == "false")
                on = 0;
            if (on < 0)
                return UsageError{QStringLiteral("a gate is on|off, 1|0 or true|false (got '%1')").arg(a[i])};
            r.args.emplace_back(on);
            break;
        }
        default:
            r.args.emplace_back(a[i]);
            break;
        }
    }
    return r;
}

// ---------------------------------------------------------------------------------------------
// Output

QString slotName(const QJsonValue& v) {
    return v.toInt() == 1 ? QStringLiteral("B") : QStringLiteral("A");
}

std::optional<QJsonValue> parseJson(const QJsonValue& text) {
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(text.toString().toUtf8(), &error);
    if (error.error != QJsonParseError::NoError)
        return std::nullopt;
    if (doc.isObject())
        return doc.object();
    return doc.array();
}

// The reply's values named by the protocol table (src/app/Protocol.cpp), next to "values": the
// pattern's parts (/mod/<id>/<param>: id, param), the fields that occur once and the first edit's
// at the top level, every edit's under the address's group name when there are several (create:
// "modules"), repeated fields as an array under their name. Booleans as JSON booleans, JSON text
// parsed. Nothing is added when the values do not have the shape the table gives (an older or newer
// server).
enum class Naming { None, Named, NamedJson /* a JSON field was parsed: carried instead of "values" */ };
Naming addNamedFields(const Request& request, const Reply& reply, QJsonObject& o) {
    const protocol::Command* c = protocol::find(request.address.toStdString());
    if (!c)
        return Naming::None;
    const std::size_t groups = protocol::groupsOf(*c, request.args.size());
    const protocol::Layout layout = protocol::layout(*c, groups, !request.args.empty(), reply.types);
    if (!layout.mismatch.empty() || static_cast<qsizetype>(reply.types.size()) != reply.values.size())
        return Naming::None;
    const std::vector<std::string> names = protocol::patternNames(*c);
    const std::vector<std::string> parts = protocol::patternValues(*c, request.address.toStdString());
    for (std::size_t i = 0; i < names.size() && i < parts.size(); ++i)
        o[QString::fromStdString(names[i])] = QString::fromStdString(parts[i]);
    QJsonArray edits;
    std::vector<QJsonObject> editObjects(groups);
    std::map<std::size_t, QJsonObject> restObjects;
    QStringList restNames;
    bool parsed = false;
    for (const protocol::Named& n : layout.fields) {
        const QString name = QString::fromStdString(n.name);
        QJsonValue v = reply.values[static_cast<qsizetype>(n.index)];
        if (n.field->type == 'b') {
            v = v.toInt() != 0;
        } else if (n.field->type == 'j') {
            const auto json = parseJson(v);
            if (!json)
                return Naming::None;
            v = *json;
            parsed = true;
        }
        switch (n.field->occurs) {
        case protocol::Occurs::Once:
        case protocol::Occurs::Optional:
            o[name] = v;
            break;
        case protocol::Occurs::Group:
            if (n.group == 0)
                o[name] = v;
            editObjects[n.group][name] = v;
            break;
        case protocol::Occurs::Rest:
            restObjects[n.group][name] = v;
            if (!restNames.contains(name))
                restNames << name;
            break;
        }
    }
    if (groups > 1 && c->groupName) {
        for (const QJsonObject& edit : editObjects)
            edits.append(edit);
        o[QString::fromUtf8(c->groupName)] = edits;
    }
    for (const protocol::Field& f : c->reply) // a repeated field: an array, empty when it did not occur
        if (f.occurs == protocol::Occurs::Rest && !restNames.contains(QString::fromUtf8(f.name)))
            restNames << QString::fromUtf8(f.name);
    if (restNames.size() == 1) {
        QJsonArray items;
        for (const auto& [group, item] : restObjects)
            items.append(item.value(restNames.first()));
        o[restNames.first()] = items;
    } else if (!restObjects.empty()) {
        QJsonArray items;
        for (const auto& [group, item] : restObjects)
            items.append(item);
        o["items"] = items;
    }
    return parsed ? Naming::NamedJson : Naming::Named;
}

QString genericText(const Request& request, const Reply& reply) {
    QStringList parts;
    for (const QJsonValue& v : reply.values)
        parts << (v.isDouble() ? formatNumber(v.toDouble())
                  : v.isString()
                      ? v.toString()
                      : QString::fromUtf8(QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact)));
    return parts.isEmpty() ? request.address + ": ok" : request.address + ": " + parts.join(' ');
}

// ---- status

QString num(const QJsonObject& o, const char* key, int decimals = -1) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (!v.isDouble())
        return v.isBool() ? (v.toBool() ? "yes" : "no") : (v.isString() ? v.toString() : QStringLiteral("?"));
    return decimals < 0 ? formatNumber(v.toDouble()) : QString::number(v.toDouble(), 'f', decimals);
}

QString slotSummary(const QJsonObject& status, int i, bool compact) {
    const QJsonObject s = status.value("slots").toArray().at(i).toObject();
    const bool active = status.value("active_slot").toInt() == i;
    QString flags =
        s.value("prime_ready").toBool() ? " primed" : (s.value("in_step").toBool() ? " in-step" : "");
    const QString load = QString::number(100.0 * s.value("dsp_load").toDouble(), 'f', 1) + "%";
    if (compact)
        return QStringLiteral("%1%2 %3%4 occ %5 [%6-%7] none %8 (%9/win) dsp %10")
            .arg(i == 1 ? "B" : "A", active ? "*" : "", s.value("state").toString(), flags,
                 num(s, "occupancy", 1), num(s, "occupancy_min", 1), num(s, "occupancy_max", 1),
                 num(s, "none_reads"))
            .arg(num(s, "none_reads_window"), load);
    return QStringLiteral(
               "slot %1%2 %3 occupancy %4 [%5-%6]  none-reads %7 (%8 this window)  dsp %9  queue drops %10")
        .arg(i == 1 ? "B" : "A", active ? "*" : " ", (s.value("state").toString() + flags).leftJustified(16),
             num(s, "occupancy", 1), num(s, "occupancy_min", 1), num(s, "occupancy_max", 1),
             num(s, "none_reads"), num(s, "none_reads_window"), load)
        .arg(num(s, "queue_drops"));
}

QString statusBlock(const QJsonObject& s) {
    QString text;
    QTextStream t(&text);
    t << "active slot " << slotName(s.value("active_slot")) << " — " << num(s, "driver") << ", "
      << num(s, "sample_rate") << " Hz, block " << num(s, "block_size") << ", latency "
      << num(s, "latency_ms", 1) << " ms\n";
    t << slotSummary(s, 0, false) << "\n" << slotSummary(s, 1, false) << "\n";
    t << "commits " << num(s, "commits") << " (last prime " << num(s, "last_prime_ms", 2) << " ms, commit "
      << num(s, "last_commit_ms", 2) << " ms)  xruns " << num(s, "xruns") << "  failovers "
      << num(s, "failovers") << "  rollbacks " << num(s, "rollbacks");
    if (s.value("workers").toString() == QLatin1String("processes")) {
        const QJsonArray slotList = s.value("slots").toArray();
        t << "\nworkers: processes (A pid " << num(slotList.at(0).toObject(), "pid") << ", B pid "
          << num(slotList.at(1).toObject(), "pid") << ")  restarts " << num(s, "worker_restarts");
        for (int i = 0; i < 2; ++i) {
            const QJsonObject slot = slotList.at(i).toObject();
            if (const QString exit = slot.value("last_exit").toString(); !exit.isEmpty()) {
                const QString module = slot.value("last_exit_module").toString();
                t << "\nslot " << (i == 1 ? "B" : "A") << "'s last worker " << exit
                  << (module.isEmpty() ? QString() : " in module " + module);
            }
        }
    } else if (s.contains("workers")) {
        t << "\nworkers: threads";
    }
    if (s.contains("input")) // audio_in: the capture, or none (silence)
        t << "\ninput: " << num(s, "input")
          << (s.value("input").toString() == QLatin1String("none")
                  ? QString(" (audio_in plays silence)")
                  : QStringLiteral(", %1 channels, heard %2 ms later").arg(num(s, "input_channels"), num(s, "input_latency_ms", 1)));
    if (const QString problem = s.value("autosave_problem").toString(); !problem.isEmpty())
        t << "\nautosave: " << problem;
    return text;
}

QString statusLine(const QJsonObject& s) {
    return QStringLiteral("%1 | %2 | xruns %3 | commits %4 (prime %5 ms, commit %6 ms) | failovers %7 "
                          "rollbacks %8 | %9 %10 Hz, %11 ms")
        .arg(slotSummary(s, 0, true), slotSummary(s, 1, true), num(s, "xruns"), num(s, "commits"),
             num(s, "last_prime_ms", 2), num(s, "last_commit_ms", 2), num(s, "failovers"),
             num(s, "rollbacks"), num(s, "driver"))
        .arg(num(s, "sample_rate"), num(s, "latency_ms", 1));
}

// ---- dump

QString compactJson(const QJsonValue& v) {
    if (v.isObject()) { // ids first, as patch files are written by hand
        const QJsonObject o = v.toObject();
        QStringList keys{"id", "type", "from", "to"};
        keys.removeIf([&](const QString& k) { return !o.contains(k); });
        for (const QString& key : o.keys())
            if (!keys.contains(key))
                keys << key;
        QStringList members;
        for (const QString& key : std::as_const(keys))
            members << compactJson(key) + ":" + compactJson(o.value(key));
        return "{" + members.join(',') + "}";
    }
    const QByteArray wrapped = QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact);
    return QString::fromUtf8(wrapped.mid(1, wrapped.size() - 2));
}

// A patch in the patch-file format: still valid JSON (it can be saved as a patch file), one module or cable
// per line, the format and version first.
QString patchText(const QJsonValue& patch) {
    if (!patch.isObject())
        return QString::fromUtf8(QJsonDocument(patch.toArray()).toJson(QJsonDocument::Indented)).trimmed();
    const QJsonObject o = patch.toObject();
    QStringList keys{"format", "version", "modules", "cables"};
    for (const QString& key : o.keys())
        if (!keys.contains(key))
            keys << key;
    QStringList lines;
    for (const QString& key : std::as_const(keys)) {
        if (!o.contains(key))
            continue;
        const QJsonValue v = o.value(key);
        const QString name = compactJson(key);
        if (v.isArray() && !v.toArray().isEmpty()) {
            QStringList items;
            for (const QJsonValue& item : v.toArray())
                items << "    " + compactJson(item);
            lines << "  " + name + ": [\n" + items.join(",\n") + "\n  ]";
        } else {
            lines << "  " + name + ": " + compactJson(v);
        }
    }
    return "{\n" + lines.join(",\n") + "\n}";
}

// ---- schema

QString portList(const QJsonArray& ports) {
    QStringList names;
    for (const QJsonValue& p : ports) {
        const QJsonObject o = p.toObject();
        const QString kind = o.value("kind").toString();
        names << (kind.isEmpty() || kind == "audio" ? o.value("id").toString()
                                                    : o.value("id").toString() + " (" + kind + ")");
    }
    return names.isEmpty() ? QStringLiteral("-") : names.join(", ");
}

QString schemaText(const QJsonObject& schema) {
    QString text;
    QTextStream t(&text);
    const QJsonArray types = schema.value("types").toArray();
    for (const QJsonValue& value : types) {
        const QJsonObject type = value.toObject();
        t << type.value("type").toString();
        if (type.contains("category"))
            t << " (" << type.value("category").toString() << ")";
        if (type.contains("description"))
            t << " — " << type.value("description").toString();
        t << "\n    in:  " << portList(type.value("inputs").toArray())
          << "\n    out: " << portList(type.value("outputs").toArray()) << "\n";
        for (const QJsonValue& pv : type.value("params").toArray()) {
            const QJsonObject p = pv.toObject();
            const QString unit = p.value("unit").toString();
            if (p.value("choices").isArray()) { // a discrete parameter: its labels, in value order
                QStringList labels;
                for (const QJsonValue& label : p.value("choices").toArray())
                    labels << label.toString();
                const auto def =
                    static_cast<qsizetype>(p.value("default").toDouble() - p.value("min").toDouble());
                t << "    " << p.value("id").toString().leftJustified(10) << " " << labels.join(" | ")
                  << ", default " << labels.value(def, num(p, "default"));
                if (p.contains("alias"))
                    t << ", alias " << p.value("alias").toString();
                t << "\n";
                continue;
            }
            t << "    " << p.value("id").toString().leftJustified(10) << " " << num(p, "min") << ".."
              << num(p, "max") << (unit.isEmpty() ? QString() : " " + unit) << ", default "
              << num(p, "default");
            if (p.value("scale").toString() == QLatin1String("log"))
                t << ", log";
            if (p.contains("alias"))
                t << ", alias " << p.value("alias").toString();
            t << "\n";
        }
        for (const QJsonValue& tv : type.value("text_params").toArray()) {
            const QJsonObject p = tv.toObject();
            t << "    " << p.value("id").toString().leftJustified(10) << " text: " << p.value("help").toString() << "\n";
        }
    }
    const QJsonObject aliases = schema.value("aliases").toObject();
    if (!aliases.isEmpty()) {
        QStringList pairs;
        for (auto it = aliases.begin(); it != aliases.end(); ++it)
            pairs << it.key() + " = " + it.value().toString();
        t << "aliases: " << pairs.join(", ") << "\n";
    }
    if (types.isEmpty())
        t << QJsonDocument(schema).toJson(QJsonDocument::Indented);
    return text.trimmed();
}

// ---- record

// /record/status's named fields: recording, path, duration, dropped_frames, error.
QString recordStatusText(const QJsonObject& o) {
    const QString path = o.value("path").toString();
    const QString seconds = QString::number(o.value("duration").toDouble(), 'f', 2) + " s";
    const double dropped = o.value("dropped_frames").toDouble();
    const QString error = o.value("error").toString();
    QString text =
        o.value("recording").toBool() ? QStringLiteral("recording to %1 (%2 so far)").arg(path, seconds)
        : path.isEmpty()              ? QStringLiteral("not recording")
                         : QStringLiteral("not recording; last recording %1 (%2)").arg(path, seconds);
    if (dropped > 0)
        text += QStringLiteral("; %1 frames dropped (the disk was too slow)").arg(formatNumber(dropped));
    if (!error.isEmpty())
        text += QStringLiteral("; stopped on an error: %1").arg(error);
    return text;
}

QString valueText(const QJsonValue& v) {
    return v.isDouble() ? formatNumber(v.toDouble()) : v.toString();
}

// The human text for a successful reply, from its named fields `o` (addNamedFields); the values as
// they came when the reply does not have the table's shape.
QString replyText(const Request& request, const Reply& reply, const QJsonObject& o, Naming naming) {
    const protocol::Command* c = protocol::find(request.address.toStdString());
    if (!c || naming == Naming::None)
        return genericText(request, reply);
    const auto has = [&](const char* name) { return o.contains(QLatin1String(name)); };
    // Each edit of a multi-edit request: the group's array, or the one edit at the top level.
    const QJsonArray edits = c->groupName && o.value(QLatin1String(c->groupName)).isArray()
                                 ? o.value(QLatin1String(c->groupName)).toArray()
                                 : QJsonArray{o};
    const auto joined = [&](const auto& each) {
        QStringList items;
        for (const QJsonValue& e : edits)
            items << each(e.toObject());
        return items.join(", ");
    };
    QString text;
    using protocol::Op;
    switch (c->op) {
    case Op::Create:
        text = "created " + joined([](const QJsonObject& e) {
                   return QStringLiteral("%1 (%2)").arg(e.value("id").toString(), e.value("type").toString());
               });
        break;
    case Op::Connect:
    case Op::Disconnect:
        text = QStringLiteral("%1 %2").arg(
            c->op == Op::Connect ? "connected" : "disconnected", joined([](const QJsonObject& e) {
                return QStringLiteral("%1 -> %2").arg(e.value("from").toString(), e.value("to").toString());
            }));
        break;
    case Op::Delete:
        text = QStringLiteral("deleted %1").arg(o.value("id").toString());
        break;
    case Op::Clear:
        text = QStringLiteral("cleared the pending patch");
        break;
    case Op::Set:
        text = QStringLiteral("set %1%2 (pending; commit to hear it)")
                   .arg(joined([](const QJsonObject& e) {
                            return QStringLiteral("%1.%2 = %3")
                                .arg(e.value("id").toString(), e.value("param").toString(),
                                     valueText(e.value("value")));
                        }),
                        has("note") ? ", " + o.value("note").toString()
                                    : QString()); // e.g. "clamped to 0..20000"
        break;
    case Op::Prime:
        text = QStringLiteral("primed: slot %1 ready, prime %2")
                   .arg(slotName(o.value("slot")), formatMs(o.value("prime_ms").toDouble()));
        break;
    case Op::Commit:
    case Op::UndoCommit:
        text = QStringLiteral("%1: slot %2 active, prime %3, commit %4")
                   .arg(c->op == Op::Commit ? "committed" : "undone", slotName(o.value("slot")),
                        formatMs(o.value("prime_ms").toDouble()), formatMs(o.value("commit_ms").toDouble()));
        break;
    case Op::Undo:
    case Op::Redo:
        text = QStringLiteral("%1: %2").arg(c->op == Op::Undo ? "undone" : "redone", o.value("step").toString());
        break;
    case Op::Abort:
        text = QStringLiteral("aborted: pending edits dropped, standby slot %1 back on the playing patch")
                   .arg(slotName(o.value("standby_slot")));
        break;
    case Op::Validate:
        text = QStringLiteral("valid: %1 modules, %2 cables")
                   .arg(valueText(o.value("modules")), valueText(o.value("cables")));
        break;
    case Op::Save:
        text = QStringLiteral("saved %1").arg(o.value("path").toString());
        break;
    case Op::Load:
        text = QStringLiteral("loaded %1 (%2 modules) as the pending patch; commit to hear it")
                   .arg(o.value("path").toString(), valueText(o.value("modules")));
        for (const QJsonValue& w :
             o.value("warnings").toArray()) // the file's (values clamped to their range)
            text += QStringLiteral("\nwarning: ") + w.toString();
        break;
    case Op::Dump: {
        const QJsonValue pending = o.value("pending");
        const QJsonValue committed = o.value("committed");
        text = "pending patch (where edits go; 'commit' makes it heard):\n" + patchText(pending) +
               "\ncommitted patch (playing):" +
               (pending == committed ? QStringLiteral(" the same") : "\n" + patchText(committed));
        break;
    }
    case Op::Status:
        if (!o.value("status").isObject())
            return genericText(request, reply);
        text = statusBlock(o.value("status").toObject());
        break;
    case Op::Schema:
        if (!o.value("schema").isObject())
            return genericText(request, reply);
        text = schemaText(o.value("schema").toObject());
        break;
    case Op::RecordStart:
        text = QStringLiteral("recording to %1").arg(o.value("path").toString());
        break;
    case Op::RecordStop:
        text = QStringLiteral("recorded %1 (%2 s)")
                   .arg(o.value("path").toString(), QString::number(o.value("duration").toDouble(), 'f', 2));
        break;
    case Op::RecordStatus:
        text = recordStatusText(o);
        break;
    case Op::Mod: {
        const QJsonValue value = o.value("value");
        text = QStringLiteral("%1.%2 = %3 (live)")
                   .arg(o.value("id").toString(), o.value("param").toString(), valueText(value));
        if (value.isDouble() && !request.args.empty() && std::holds_alternative<float>(request.args[0])) {
            const double requested = shortestDouble(std::get<float>(request.args[0]));
            if (value.toDouble() != requested)
                text += QStringLiteral(", clamped from %1").arg(formatNumber(requested));
        }
        break;
    }
    case Op::Gate:
        text =
            QStringLiteral("gate %1 %2").arg(o.value("id").toString(), o.value("on").toBool() ? "on" : "off");
        break;
    case Op::MidiDevices: {
        const QJsonArray items = o.value("items").toArray();
        text = items.isEmpty() ? QStringLiteral("no MIDI sources (%1)").arg(o.value("api").toString())
                               : QStringLiteral("MIDI sources (%1):").arg(o.value("api").toString());
        for (const QJsonValue& item : items) {
            const QJsonValue hardware = item.toObject().value("hardware");
            text += "\n  " + item.toObject().value("name").toString() +
                    (hardware.toBool() || hardware.toInt() != 0 ? QStringLiteral(" (hardware)") : QString());
        }
        break;
    }
    case Op::MidiMap:
    case Op::MidiLearn:
    case Op::MidiMaps: {
        const auto line = [](const QJsonObject& m) {
            const int channel = m.value("channel").toInt();
            return QStringLiteral("%1: CC %2 %3, %4 to %5")
                .arg(m.value("target").toString())
                .arg(m.value("cc").toInt())
                .arg(channel == 0 ? QStringLiteral("any channel") : QStringLiteral("channel %1").arg(channel))
                .arg(m.value("min").toDouble())
                .arg(m.value("max").toDouble());
        };
        if (c->op != Op::MidiMaps) {
            text = QStringLiteral("mapped ") + line(o);
            break;
        }
        const QJsonArray items = o.value("items").toArray();
        text = items.isEmpty() ? QStringLiteral("no MIDI mappings") : QStringLiteral("MIDI mappings:");
        for (const QJsonValue& item : items)
            text += "\n  " + line(item.toObject());
        break;
    }
    case Op::MidiUnmap:
        text = QStringLiteral("unmapped %1").arg(o.value("target").toString());
        break;
    case Op::MidiIn: {
        const QString requested = o.value("requested").toString(), connected = o.value("connected").toString();
        text = requested.isEmpty()   ? QStringLiteral("MIDI input: none")
               : connected.isEmpty() ? QStringLiteral("MIDI input: waiting for '%1' (connected when it appears)").arg(requested)
                                     : QStringLiteral("MIDI input: %1").arg(connected);
        break;
    }
    case Op::MidiOut: {
        const QString connected = o.value("connected").toString();
        text = connected.isEmpty() ? QStringLiteral("MIDI output: none") : QStringLiteral("MIDI output: %1").arg(connected);
        break;
    }
    }
    if (has("warning")) // the change is made, but the server could not put it on disk
        text += QStringLiteral("\nwarning: ") + o.value("warning").toString();
    return text;
}

// ---------------------------------------------------------------------------------------------

struct Options {
    QString host = QStringLiteral("127.0.0.1");
    int port = kDefaultPort;
    int timeoutMs = -1; // -1: the verb's default
    bool json = false;
    bool help = false;
};

class Ctl {
public:
    explicit Ctl(Options options)
        : m_o(std::move(options)) {}

    int usageError(const QString& message, const QString& address = {}) {
        if (m_o.json)
            printJson(QJsonObject{
                {"ok", false},
                {"address", address.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(address)},
                {"error", message},
                {"usage", true}});
        return app::usageError(QStringLiteral("ctl"), message);
    }

    int run(const QString& verb, QStringList args) {
        bool watch = false;
        int intervalMs = kDefaultWatchIntervalMs;
        int count = -1;
        if (verb == "status") {
            for (qsizetype i = 0; i < args.size();) {
                const QString arg = args[i];
                const auto takeInt = [&](int min, int max, const char* what,
                                         int* target) -> std::optional<QString> {
                    QString value;
                    if (arg.contains('='))
                        value = arg.section('=', 1);
                    else if (i + 1 < args.size())
                        value = args.takeAt(i + 1);
                    else
                        return QStringLiteral("%1 needs a value").arg(arg);
                    bool ok = false;
                    const int v = value.toInt(&ok);
                    if (!ok || v < min || v > max)
                        return QStringLiteral("%1 must be a whole number from %2 to %3 (got '%4')")
                            .arg(what)
                            .arg(min)
                            .arg(max)
                            .arg(value);
                    *target = v;
                    return std::nullopt;
                };
                std::optional<QString> problem;
                if (arg == "--watch" || arg == "-w")
                    watch = true;
                else if (arg == "--interval" || arg.startsWith("--interval="))
                    problem = takeInt(10, 3600 * 1000, "--interval", &intervalMs);
                else if (arg == "--count" || arg.startsWith("--count="))
                    problem = takeInt(1, std::numeric_limits<int>::max(), "--count", &count);
                else
                    return usageError(
                        QStringLiteral("'status' takes [--watch [--interval MS] [--count N]] (got '%1')")
                            .arg(arg),
                        "/engine/status");
                if (problem)
                    return usageError(*problem, "/engine/status");
                args.removeAt(i);
            }
            if (!watch && (intervalMs != kDefaultWatchIntervalMs || count >= 0))
                return usageError("--interval and --count go with --watch", "/engine/status");
        }

        const auto built = buildRequest(verb, args);
        if (const auto* e = std::get_if<UsageError>(&built))
            return usageError(e->message);
        const Request& request = std::get<Request>(built);

        OscClient client(m_o.host, m_o.port);
        int timeoutMs = m_o.timeoutMs >= 0 ? m_o.timeoutMs : (request.slow ? kSlowTimeoutMs : kDefaultTimeoutMs);
        if (m_o.timeoutMs < 0 && request.address == QLatin1String("/midi/learn")) // it waits for a controller
            timeoutMs = static_cast<int>(
                (request.args.size() > 1 ? std::get<float>(request.args[1]) : 30.0f) * 1000.0f + 2000.0f);
        if (watch)
            return runWatch(client, request, timeoutMs, intervalMs, count);
        Reply reply;
        QString why;
        switch (client.send(request, timeoutMs, &reply, &why)) {
        case OscClient::Outcome::SendFailed:
            return noAnswer(request,
                            QStringLiteral("cannot send to %1:%2: %3").arg(m_o.host).arg(m_o.port).arg(why));
        case OscClient::Outcome::NoAnswer:
            return noAnswer(request, noAnswerText(timeoutMs));
        case OscClient::Outcome::Closed:
            return noAnswer(request, closedText());
        case OscClient::Outcome::Answered:
            break;
        }
        return report(request, reply);
    }

private:
    QString closedText() const {
        return QStringLiteral("no answer from %1:%2: the server closed the connection (this address is not on "
                              "its --allow list, or it has all the connections it takes)")
            .arg(m_o.host)
            .arg(m_o.port);
    }

    QString noAnswerText(int timeoutMs) const {
        return QStringLiteral("no answer from %1:%2 within %3 ms — is `chronus serve` running?")
            .arg(m_o.host)
            .arg(m_o.port)
            .arg(timeoutMs);
    }

    static void printJson(const QJsonObject& o) {
        out() << QJsonDocument(o).toJson(QJsonDocument::Compact) << "\n";
        out().flush();
    }

    int noAnswer(const Request& request, const QString& message) {
        if (m_o.json)
            printJson(QJsonObject{
                {"ok", false}, {"address", request.address}, {"error", message}, {"timeout", true}});
        err() << "chronus ctl: " << message << "\n";
        err().flush();
        return kExitNoAnswer;
    }

    // The JSON object for an answered request; `text` gets the human rendering.
    static QJsonObject replyJson(const Request& request, const Reply& reply, QString* text) {
        QJsonObject o{{"ok", !reply.error}, {"address", request.address}};
        if (reply.error) {
            o["error"] = reply.message;
            *text = reply.message;
            return o;
        }
        o["values"] = reply.values;
        const Naming naming = addNamedFields(request, reply, o);
        if (naming == Naming::NamedJson)
            o.remove("values"); // it holds JSON (status, schema, a dump): parsed, not twice
        *text = replyText(request, reply, o, naming);
        return o;
    }

    int report(const Request& request, const Reply& reply) {
        QString text;
        const QJsonObject o = replyJson(request, reply, &text);
        if (m_o.json)
            printJson(o);
        if (reply.error)
            return failure(QStringLiteral("ctl"), text);
        if (!m_o.json) {
            out() << text << "\n";
            out().flush();
        }
        return kExitOk;
    }

    int runWatch(OscClient& client, const Request& request, int timeoutMs, int intervalMs, int count) {
        const bool terminal = ::isatty(STDOUT_FILENO) == 1 && !m_o.json;
        g_interrupted.store(false);
        g_signal.store(0);
        std::signal(SIGINT, onInterrupt);
        std::signal(SIGTERM, onInterrupt);
        int exitCode = kExitOk;
        const auto start = std::chrono::steady_clock::now();
        for (int n = 0; count < 0 || n < count; ++n) {
            if (n > 0) {
                const auto due = start + std::chrono::milliseconds(static_cast<qint64>(n) * intervalMs);
                while (!g_interrupted.load() && std::chrono::steady_clock::now() < due)
                    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
                        due - std::chrono::steady_clock::now(), std::chrono::milliseconds(20)));
            }
            if (g_interrupted.load())
                break;
            Reply reply;
            QString why;
            QString line;
            QJsonObject o;
            const OscClient::Outcome outcome = client.send(request, timeoutMs, &reply, &why);
            switch (outcome) {
            case OscClient::Outcome::SendFailed:
                line = QStringLiteral("cannot send to %1:%2: %3").arg(m_o.host).arg(m_o.port).arg(why);
                o = QJsonObject{
                    {"ok", false}, {"address", request.address}, {"error", line}, {"timeout", true}};
                exitCode = kExitNoAnswer;
                break;
            case OscClient::Outcome::NoAnswer:
            case OscClient::Outcome::Closed:
                if (g_interrupted.load())
                    break;
                line = outcome == OscClient::Outcome::Closed ? closedText() : noAnswerText(timeoutMs);
                o = QJsonObject{
                    {"ok", false}, {"address", request.address}, {"error", line}, {"timeout", true}};
                exitCode = kExitNoAnswer;
                break;
            case OscClient::Outcome::Answered:
                o = replyJson(request, reply, &line);
                if (reply.error) {
                    exitCode = kExitServerError;
                } else {
                    exitCode = kExitOk;
                    const QJsonObject status = o.value("status").toObject();
                    if (!status.isEmpty())
                        line = statusLine(status);
                }
                break;
            }
            if (g_interrupted.load())
                break;
            if (m_o.json) {
                printJson(o);
                continue;
            }
            line = QDateTime::currentDateTime().toString("HH:mm:ss.zzz") + "  " + line;
            if (terminal)
                out() << "\r\x1b[2K" << line; // overwrite in place
            else
                out() << line << "\n";
            out().flush();
        }
        if (terminal) {
            out() << "\n";
            out().flush();
        }
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        // Ended by Ctrl+C (or SIGTERM): the shell convention, 128 + the signal, so a script can
        // tell an interrupted watch from one that ran its --count or failed.
        if (g_interrupted.load())
            return 128 + g_signal.load();
        return exitCode;
    }

    Options m_o;
};

// Global options written after the verb (`chronus ctl status --json`) are taken off the verb's
// arguments; anything else stays for the verb (negative numbers, `status --watch`).
std::optional<UsageError> takeTrailingOptions(QStringList& args, Options& o, QStringList& portText,
                                              QStringList& timeoutText) {
    for (qsizetype i = 0; i < args.size();) {
        const QString arg = args[i];
        const auto value = [&](const QString& name, QStringList& target) -> std::optional<UsageError> {
            if (arg.startsWith(name + "=")) {
                target << arg.mid(name.size() + 1);
            } else if (i + 1 < args.size()) {
                target << args.takeAt(i + 1);
            } else {
                return UsageError{QStringLiteral("missing value for %1").arg(name)};
            }
            return std::nullopt;
        };
        QStringList hostText;
        std::optional<UsageError> problem;
        if (arg == "--json") {
            o.json = true;
        } else if (arg == "--help" || arg == "-h") {
            o.help = true;
        } else if (arg == "--host" || arg.startsWith("--host=")) {
            problem = value("--host", hostText);
            if (!hostText.isEmpty())
                o.host = hostText.last();
        } else if (arg == "--port" || arg.startsWith("--port=")) {
            problem = value("--port", portText);
        } else if (arg == "--timeout" || arg.startsWith("--timeout=")) {
            problem = value("--timeout", timeoutText);
        } else {
            ++i;
            continue;
        }
        if (problem)
            return problem;
        args.removeAt(i);
    }
    return std::nullopt;
}

} // namespace

int runCtlCommand(const QStringList& args) {
    QCommandLineParser parser;
    // Everything after the verb belongs to the verb: `set osc1 detune -5` must not see an option.
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    const QCommandLineOption helpOption({"h", "help"}, "Show this help: every verb, and an example.");
    const QCommandLineOption versionOption({"v", "version"}, "Show the version.");
    parser.addOption(helpOption);
    parser.addOption(versionOption);
    parser.addOption(
        {"host", "The server's IPv4 address or host name (default 127.0.0.1).", "H", "127.0.0.1"});
    parser.addOption({"port", "The server's OSC port (default 5005).", "N", QString::number(kDefaultPort)});
    parser.addOption({"json", "Print one JSON object on stdout instead of text."});
    parser.addOption({"timeout",
                      "How long to wait for the answer, in ms (default 2000; prime, commit, undo-commit "
                      "and load: 10000).",
                      "MS"});
    parser.addPositionalArgument("VERB", "What to do: see the list of verbs below.");
    parser.addPositionalArgument("ARGS", "The verb's arguments.", "[ARGS...]");

    Options options;
    const bool parsed = parser.parse(args);
    options.json = parser.isSet("json");
    Ctl usage(options);
    if (!parsed)
        return usage.usageError(parser.errorText());

    QStringList positional = parser.positionalArguments();
    options.host = parser.value("host");
    options.help = parser.isSet(helpOption);
    QStringList portText{parser.value("port")};
    QStringList timeoutText;
    if (parser.isSet("timeout"))
        timeoutText << parser.value("timeout");
    const QString verb = positional.isEmpty() ? QString() : positional.takeFirst();
    const auto trailing = takeTrailingOptions(positional, options, portText, timeoutText);
    if (options.help || verb == "help") {
        out() << helpText(parser);
        out().flush();
        return kExitOk;
    }
    if (parser.isSet(versionOption)) {
        out() << "chronus ctl " << QCoreApplication::applicationVersion() << "\n";
        out().flush();
        return kExitOk;
    }
    Ctl checked(options);
    if (trailing)
        return checked.usageError(trailing->message);
    bool ok = false;
    options.port = portText.last().toInt(&ok);
    if (!ok || options.port < 1 || options.port > 65535)
        return checked.usageError(
            QStringLiteral("--port must be a whole number from 1 to 65535 (got '%1')").arg(portText.last()));
    if (!timeoutText.isEmpty()) {
        options.timeoutMs = timeoutText.last().toInt(&ok);
        if (!ok || options.timeoutMs < 1 || options.timeoutMs > 3600 * 1000)
            return checked.usageError(
                QStringLiteral("--timeout must be a whole number of ms from 1 to 3600000 (got '%1')")
                    .arg(timeoutText.last()));
    }
    if (options.host.isEmpty())
        return checked.usageError(QStringLiteral("--host must not be empty"));
    if (verb.isEmpty())
        return checked.usageError(
            QStringLiteral("missing VERB (create, connect, set, commit, mod, gate, status, ...)"));
    return Ctl(options).run(verb, positional);
}

} // namespace chronus::app
