// chronus_osc_bench: OSC throughput and latency on loopback (issue 4, Benchmark). It starts
// `chronus serve` (on a private JACK dummy server, `jackd -d dummy -r 48000 -p 64`, when jackd is
// there, else on the null driver), commits a small sounding patch (saw -> svf -> out) and sends
// `/mod/osc1/freq <value>` from a UDP client:
//
//   - paced at target rates (default 1k, 5k, 10k, 20k, 40k msg/s) and unpaced (as fast as the client
//     can send), each for --seconds;
//   - with a window of at most W requests outstanding (default 1 and 64): the rate the server
//     sustains on its own, and the bare round trip with W = 1;
//   - first, an idle run (no requests): the baseline of xruns and server CPU.
//
// Every request carries a unique value (256 + k/32768 Hz, exact in the float the reply carries), so
// each reply is matched to its request: latency from just before sendto() to the reply's
// receipt (p50, p99, max), lost = no reply within 1 s (a later reply counts as lost and late).
// `/engine/status json` before and after each run gives none-reads (both slots), xruns and queue
// drops meanwhile; /proc gives the server's CPU time.
//
// Prints Markdown (readable as plain text): one row per run and repetition, then the medians over
// the repetitions, and PASS/FAIL against the bar (>= 20,000 msg/s with zero loss; zero loss and
// p99 < 2 ms in the paced runs up to 20,000/s and with window 1; zero none-reads). Exit status: 0 the bar passes, 1 it fails, 2 the benchmark could not run.

#include <lo/lo.h>

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::int64_t nowNs() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

void sleepUntilNs(std::int64_t t) {
    timespec ts{static_cast<time_t>(t / 1000000000), static_cast<long>(t % 1000000000)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
    }
}

void progress(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void progress(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::vfprintf(stderr, fmt, ap);
    va_end(ap);
    std::fputc('\n', stderr);
}

// ------------------------------------------------------------------------------------------------
// OSC on the wire: requests are serialised by liblo once and patched in place; replies are read
// here (the reply of a /mod is `/reply ,sf <address> <value>`, or `,sfs ... "clamped"`).

struct Arg {
    char type = 0;
    double number = 0.0;
    std::string text;
};

struct Parsed {
    std::string address;
    std::vector<Arg> args;
};

bool readPadded(const std::uint8_t* data, std::size_t n, std::size_t& pos, std::string& out) {
    const std::size_t start = pos;
    while (pos < n && data[pos] != 0)
        ++pos;
    if (pos >= n)
        return false;
    out.assign(reinterpret_cast<const char*>(data + start), pos - start);
    pos = (pos + 4) & ~std::size_t(3);
    return pos <= n;
}

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

std::optional<Parsed> parseOsc(const std::uint8_t* data, std::size_t n) {
    Parsed m;
    std::size_t pos = 0;
    std::string types;
    if (!readPadded(data, n, pos, m.address) || !readPadded(data, n, pos, types) || types.empty() || types[0] != ',')
        return std::nullopt;
    for (std::size_t i = 1; i < types.size(); ++i) {
        Arg a;
        a.type = types[i];
        switch (a.type) {
        case 's':
        case 'S':
            if (!readPadded(data, n, pos, a.text))
                return std::nullopt;
            break;
        case 'f':
        case 'i': {
            if (pos + 4 > n)
                return std::nullopt;
            const std::uint32_t u = be32(data + pos);
            pos += 4;
            if (a.type == 'i') {
                a.number = static_cast<std::int32_t>(u);
            } else {
                float f;
                std::memcpy(&f, &u, 4);
                a.number = f;
            }
            break;
        }
        case 'd':
        case 'h': {
            if (pos + 8 > n)
                return std::nullopt;
            const std::uint64_t u = (std::uint64_t(be32(data + pos)) << 32) | be32(data + pos + 4);
            pos += 8;
            if (a.type == 'h') {
                a.number = static_cast<double>(static_cast<std::int64_t>(u));
            } else {
                double d;
                std::memcpy(&d, &u, 8);
                a.number = d;
            }
            break;
        }
        default: return std::nullopt;
        }
        m.args.push_back(std::move(a));
    }
    return m;
}

// A serialised OSC message; `floatAt` is the offset of its last argument when that is a float.
struct Packet {
    std::vector<std::uint8_t> bytes;
};

Packet serialise(const char* path, const std::vector<std::string>& strings, std::optional<float> number = {}) {
    lo_message m = lo_message_new();
    for (const std::string& s : strings)
        lo_message_add_string(m, s.c_str());
    if (number)
        lo_message_add_float(m, *number);
    std::size_t size = 0;
    void* data = lo_message_serialise(m, path, nullptr, &size);
    Packet p;
    p.bytes.assign(static_cast<std::uint8_t*>(data), static_cast<std::uint8_t*>(data) + size);
    std::free(data);
    lo_message_free(m);
    return p;
}

int udpSocket(int port) {
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    const int big = 4 << 20;
    ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// One request, one reply (control traffic: patch building, status).
std::optional<Parsed> ask(int fd, const Packet& p, int timeoutMs = 2000) {
    std::uint8_t buf[65536];
    while (::recv(fd, buf, sizeof buf, MSG_DONTWAIT) > 0) {
    } // stale replies
    if (::send(fd, p.bytes.data(), p.bytes.size(), 0) < 0)
        return std::nullopt;
    pollfd pf{fd, POLLIN, 0};
    if (::poll(&pf, 1, timeoutMs) <= 0)
        return std::nullopt;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
        return std::nullopt;
    return parseOsc(buf, static_cast<std::size_t>(n));
}

struct EngineSnapshot {
    bool ok = false;
    double noneReads = 0, queueDrops = 0, xruns = 0, framesOut = 0;
    std::string driver;
    double blockSize = 0, deviceBlock = 0, sampleRate = 0;
};

EngineSnapshot engineStatus(int fd) {
    EngineSnapshot s;
    auto r = ask(fd, serialise("/engine/status", {"json"}));
    if (!r || r->address != "/reply" || r->args.size() < 2 || r->args[1].type != 's')
        return s;
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(r->args[1].text)).object();
    for (const QJsonValue v : o.value("slots").toArray()) {
        s.noneReads += v.toObject().value("none_reads").toDouble();
        s.queueDrops += v.toObject().value("queue_drops").toDouble();
    }
    s.xruns = o.value("xruns").toDouble();
    s.framesOut = o.value("frames_out").toDouble();
    s.driver = o.value("driver").toString().toStdString();
    s.blockSize = o.value("block_size").toDouble();
    s.deviceBlock = o.value("device_block").toDouble();
    s.sampleRate = o.value("sample_rate").toDouble();
    s.ok = true;
    return s;
}

// ------------------------------------------------------------------------------------------------
// Processes: a private jackd and `chronus serve`, both dying with this process.

pid_t spawn(const std::vector<std::string>& argv, const std::string& logPath,
            const std::vector<std::pair<std::string, std::string>>& env) {
    const pid_t pid = fork();
    if (pid != 0)
        return pid;
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    for (const auto& [k, v] : env)
        setenv(k.c_str(), v.c_str(), 1);
    if (FILE* f = std::freopen(logPath.c_str(), "a", stdout))
        dup2(fileno(f), 2);
    std::vector<char*> args;
    for (const std::string& a : argv)
        args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
}

void terminate(pid_t& pid) {
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    for (int i = 0; i < 250; ++i) {
        if (waitpid(pid, nullptr, WNOHANG) == pid) {
            pid = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    pid = -1;
}

// utime + stime of a process, in seconds.
double cpuSeconds(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    std::getline(f, line);
    const auto close = line.rfind(')');
    if (close == std::string::npos)
        return kNaN;
    std::istringstream rest(line.substr(close + 2));
    std::string field;
    double ut = 0, st = 0;
    for (int i = 3; rest >> field; ++i) {
        if (i == 14)
            ut = std::stod(field);
        if (i == 15) {
            st = std::stod(field);
            break;
        }
    }
    return (ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

struct Options {
    std::string chronus;
    std::string audio = "auto"; // auto: jack when jackd is found, else null
    std::string jackd;
    std::string logDir = ".";
    std::string csv;
    double seconds = 5.0;
    std::vector<double> rates{1000, 5000, 10000, 20000, 40000, 0}; // 0: unpaced
    std::vector<int> windows{1, 64};
    int reps = 3;
};

class Server {
public:
    ~Server() { stop(); }
    bool start(const Options& o, int rep, std::string& error) {
        const std::string tag = std::to_string(getpid()) + "-" + std::to_string(rep);
        m_home = "/tmp/chronus-osc-bench-" + tag;
        mkdir(m_home.c_str(), 0700);
        std::vector<std::pair<std::string, std::string>> env{{"XDG_DATA_HOME", m_home}, {"XDG_CONFIG_HOME", m_home}};
        if (m_audio == "jack") {
            const std::string name = "chronus-osc-bench-" + tag;
            env.emplace_back("JACK_DEFAULT_SERVER", name);
            env.emplace_back("JACK_NO_AUDIO_RESERVATION", "1");
            m_jackd = spawn({o.jackd, "-n", name, "-d", "dummy", "-r", "48000", "-p", "64"},
                            o.logDir + "/jackd_r" + std::to_string(rep) + ".log", env);
        }
        m_log = o.logDir + "/serve_r" + std::to_string(rep) + ".log";
        std::remove(m_log.c_str());
        const auto deadline = Clock::now() + std::chrono::seconds(15);
        while (Clock::now() < deadline) {
            m_pid = spawn({o.chronus, "serve", "--audio", m_audio, "--fresh", "--osc-port", "0", "--autosave",
                           m_home + "/autosave.json", "--patches", m_home + "/patches", "--recordings",
                           m_home + "/recordings"},
                          m_log, env);
            // Wait for "listening on 127.0.0.1:PORT" or the exit (JACK not up yet: try again).
            while (Clock::now() < deadline) {
                std::ifstream f(m_log);
                std::string text((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
                const auto at = text.find("listening on 127.0.0.1:");
                if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
                    m_port = std::atoi(text.c_str() + at + std::strlen("listening on 127.0.0.1:"));
                    return m_port > 0;
                }
                int status = 0;
                if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
                    m_pid = -1;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(50));
            }
            if (m_audio != "jack")
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        error = "chronus serve did not start (see " + m_log + ")";
        return false;
    }
    void stop() {
        terminate(m_pid);
        terminate(m_jackd);
        if (!m_home.empty()) {
            std::system(("rm -rf '" + m_home + "'").c_str());
            m_home.clear();
        }
    }
    void setAudio(std::string a) { m_audio = std::move(a); }
    int port() const { return m_port; }
    pid_t pid() const { return m_pid; }

private:
    std::string m_audio = "null";
    std::string m_home, m_log;
    pid_t m_pid = -1, m_jackd = -1;
    int m_port = 0;
};

// ------------------------------------------------------------------------------------------------
// One run: `seconds` of /mod/osc1/freq at `rate` (0: unpaced) or with `window` outstanding at most.

constexpr std::int64_t kLostAfterNs = 1000000000; // no reply within 1 s: lost
constexpr std::size_t kMaxRequests = std::size_t(1) << 23; // unique float values 256 + k/32768

struct RunResult {
    std::string label;
    double target = 0;   // msg/s, 0 = unpaced
    int window = 0;      // 0 = no window
    std::size_t sent = 0, answered = 0, errors = 0, lost = 0, late = 0, unmatched = 0;
    double sendSeconds = 0, sentRate = 0, answeredRate = 0;
    double p50 = kNaN, p99 = kNaN, max = kNaN; // ms, over the /reply answers
    double noneReads = 0, xruns = 0, queueDrops = 0;
    double serverCpu = kNaN; // cores busy (CPU seconds / wall seconds)
    std::string firstError;
    bool statusOk = false;
};

double percentile(std::vector<std::int64_t>& v, double q) {
    if (v.empty())
        return kNaN;
    const std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]) / 1e6;
}

RunResult runOnce(int port, pid_t serverPid, double rate, int window, double seconds, int control) {
    RunResult r;
    r.target = rate;
    r.window = window;
    r.label = window > 0 ? "window " + std::to_string(window)
              : rate > 0 ? std::to_string(static_cast<int>(rate)) + "/s"
              : rate < 0 ? "idle"
                         : "unpaced";
    const int fd = udpSocket(port);
    if (fd < 0)
        return r;
    Packet request = serialise("/mod/osc1/freq", {}, 256.0f);
    const std::size_t floatAt = request.bytes.size() - 4;
    const std::string address = "/mod/osc1/freq";

    std::vector<std::atomic<std::int64_t>> sentAt(kMaxRequests);
    std::vector<std::uint8_t> state(kMaxRequests, 0); // receiver: 0 waiting, 1 answered, 2 lost (timed out)
    std::vector<std::int64_t> latencies;
    latencies.reserve(rate > 0 ? static_cast<std::size_t>(rate * seconds * 1.1) + 1024 : 4u << 20);
    std::atomic<std::size_t> sent{0};
    std::atomic<std::size_t> done{0}; // answered or timed out: frees a window slot
    std::atomic<bool> sending{true}, stop{false};
    std::size_t answered = 0, errors = 0, late = 0, unmatched = 0, lost = 0;
    std::string firstError;

    const EngineSnapshot before = engineStatus(control);
    const double cpu0 = cpuSeconds(serverPid);
    const std::int64_t wall0 = nowNs();

    std::thread receiver([&] {
        std::uint8_t buf[2048];
        std::size_t scan = 0; // the lowest request that may still be waiting
        std::int64_t lastScan = nowNs();
        for (;;) {
            pollfd pf{fd, POLLIN, 0};
            const int ready = ::poll(&pf, 1, 20);
            const std::int64_t t = nowNs();
            if (ready > 0) {
                for (;;) {
                    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
                    if (n <= 0)
                        break;
                    const std::int64_t at = nowNs();
                    auto m = parseOsc(buf, static_cast<std::size_t>(n));
                    if (!m || m->args.empty() || m->args[0].text != address) {
                        ++unmatched;
                        continue;
                    }
                    if (m->address == "/error") {
                        ++errors;
                        if (firstError.empty() && m->args.size() > 1)
                            firstError = m->args[1].text;
                        done.fetch_add(1, std::memory_order_release);
                        done.notify_one();
                        continue;
                    }
                    if (m->address != "/reply" || m->args.size() < 2 || m->args[1].type != 'f') {
                        ++unmatched;
                        continue;
                    }
                    const double k = (m->args[1].number - 256.0) * 32768.0;
                    const std::size_t limit = sent.load(std::memory_order_acquire);
                    if (!(k >= 0) || k != std::floor(k) || static_cast<std::size_t>(k) >= limit) {
                        ++unmatched;
                        continue;
                    }
                    const auto i = static_cast<std::size_t>(k);
                    if (state[i] == 1) {
                        ++unmatched; // a duplicate
                        continue;
                    }
                    if (state[i] == 2) {
                        ++late; // already counted lost
                        continue;
                    }
                    state[i] = 1;
                    ++answered;
                    latencies.push_back(at - sentAt[i].load(std::memory_order_relaxed));
                    done.fetch_add(1, std::memory_order_release);
                    done.notify_one();
                }
            }
            // Requests without a reply for 1 s are lost (and free their window slot).
            if (t - lastScan > 20000000 || ready == 0) {
                lastScan = t;
                const std::size_t limit = sent.load(std::memory_order_acquire);
                while (scan < limit && state[scan] != 0)
                    ++scan;
                for (std::size_t i = scan; i < limit; ++i) {
                    if (state[i] != 0)
                        continue;
                    if (t - sentAt[i].load(std::memory_order_relaxed) < kLostAfterNs)
                        break; // sent in order: the later ones are younger
                    state[i] = 2;
                    ++lost;
                    done.fetch_add(1, std::memory_order_release);
                    done.notify_one();
                }
                if (!sending.load() && (scan >= limit || stop.load()))
                    break;
            }
        }
    });

    // Sender: paced (absolute due times; whatever is due goes out back to back), unpaced, or windowed.
    const std::int64_t t0 = nowNs();
    const std::int64_t end = t0 + static_cast<std::int64_t>(seconds * 1e9);
    std::size_t i = 0;
    for (;;) {
        std::int64_t t = nowNs();
        if (t >= end || i >= kMaxRequests)
            break;
        if (rate < 0) { // idle: no requests, the baseline of xruns and CPU
            sleepUntilNs(end);
            continue;
        }
        if (rate > 0) {
            const std::int64_t due = t0 + static_cast<std::int64_t>(static_cast<double>(i) * 1e9 / rate);
            if (due > t) {
                sleepUntilNs(std::min(due, end));
                continue;
            }
        } else if (window > 0) {
            const std::size_t d = done.load(std::memory_order_acquire);
            if (i - d >= static_cast<std::size_t>(window)) {
                done.wait(d, std::memory_order_acquire);
                continue;
            }
        }
        const float value = 256.0f + static_cast<float>(i) / 32768.0f;
        std::uint32_t u;
        std::memcpy(&u, &value, 4);
        u = htonl(u);
        std::memcpy(request.bytes.data() + floatAt, &u, 4);
        sentAt[i].store(nowNs(), std::memory_order_relaxed);
        sent.store(i + 1, std::memory_order_release);
        if (::send(fd, request.bytes.data(), request.bytes.size(), 0) < 0) {
            // loopback UDP: the kernel may refuse when the socket's buffer is full; it is lost
        }
        ++i;
    }
    r.sendSeconds = static_cast<double>(nowNs() - t0) / 1e9;
    sending.store(false);
    // The receiver ends when every request is answered or lost (1 s after the last send at most).
    const std::int64_t giveUp = nowNs() + 3 * kLostAfterNs;
    while (done.load() < i && nowNs() < giveUp)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    stop.store(true);
    receiver.join();
    const double cpu1 = cpuSeconds(serverPid);
    const std::int64_t wall1 = nowNs();
    const EngineSnapshot after = engineStatus(control);
    ::close(fd);

    r.sent = i;
    r.answered = answered;
    r.errors = errors;
    r.late = late;
    r.unmatched = unmatched;
    r.lost = i - answered - errors; // no reply in time (late ones included)
    (void)lost;
    r.firstError = firstError;
    r.sentRate = static_cast<double>(i) / r.sendSeconds;
    r.answeredRate = static_cast<double>(answered) / r.sendSeconds;
    r.p50 = percentile(latencies, 0.50);
    r.p99 = percentile(latencies, 0.99);
    r.max = latencies.empty() ? kNaN : static_cast<double>(*std::max_element(latencies.begin(), latencies.end())) / 1e6;
    r.statusOk = before.ok && after.ok;
    r.noneReads = after.noneReads - before.noneReads;
    r.xruns = after.xruns - before.xruns;
    r.queueDrops = after.queueDrops - before.queueDrops;
    r.serverCpu = (cpu1 - cpu0) / (static_cast<double>(wall1 - wall0) / 1e9);
    return r;
}

double median(std::vector<double> v) {
    v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return std::isnan(x); }), v.end());
    if (v.empty())
        return kNaN;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

std::string fmt(double v, int decimals) {
    if (std::isnan(v))
        return "-";
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

std::string findJackd(const std::string& hint) {
    if (!hint.empty())
        return access(hint.c_str(), X_OK) == 0 ? hint : std::string();
    if (const char* path = std::getenv("PATH")) {
        std::stringstream ss(path);
        std::string dir;
        while (std::getline(ss, dir, ':'))
            if (!dir.empty() && access((dir + "/jackd").c_str(), X_OK) == 0)
                return dir + "/jackd";
    }
    return {};
}

std::vector<double> parseList(const std::string& s) {
    std::vector<double> out;
    std::stringstream ss(s);
    std::string item;
    while (std::getline(ss, item, ','))
        out.push_back(item == "max" || item == "unpaced" ? 0.0 : std::stod(item));
    return out;
}

int usage() {
    std::fprintf(stderr,
                 "usage: chronus_osc_bench --chronus PATH [--audio auto|jack|null] [--jackd PATH] [--seconds S]\n"
                 "       [--rates 1000,5000,...,max] [--windows 1,64] [--reps N] [--log-dir DIR] [--csv FILE]\n");
    return 2;
}

} // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto next = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "%s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--chronus") o.chronus = next();
        else if (a == "--audio") o.audio = next();
        else if (a == "--jackd") o.jackd = next();
        else if (a == "--seconds") o.seconds = std::stod(next());
        else if (a == "--rates") o.rates = parseList(next());
        else if (a == "--windows") {
            o.windows.clear();
            for (double w : parseList(next()))
                if (w > 0)
                    o.windows.push_back(static_cast<int>(w));
        } else if (a == "--reps") o.reps = std::max(1, std::stoi(next()));
        else if (a == "--log-dir") o.logDir = next();
        else if (a == "--csv") o.csv = next();
        else return usage();
    }
    if (o.chronus.empty() || access(o.chronus.c_str(), X_OK) != 0)
        return usage();
    const std::string jackd = findJackd(o.jackd);
    if (o.audio == "auto")
        o.audio = jackd.empty() ? "null" : "jack";
    if (o.audio == "jack" && jackd.empty()) {
        std::fprintf(stderr, "--audio jack: no jackd found\n");
        return 2;
    }
    o.jackd = jackd;
    signal(SIGPIPE, SIG_IGN);

    std::vector<RunResult> all;
    EngineSnapshot engineInfo;
    for (int rep = 1; rep <= o.reps; ++rep) {
        Server server;
        server.setAudio(o.audio);
        std::string error;
        if (!server.start(o, rep, error)) {
            std::fprintf(stderr, "%s\n", error.c_str());
            return 2;
        }
        const int control = udpSocket(server.port());
        // The patch: saw -> svf -> out, committed (it sounds: a 256-512 Hz saw through a low-pass).
        const std::vector<Packet> build{serialise("/patch/create", {"osc1", "saw", "flt1", "svf"}),
                                        serialise("/patch/connect", {"osc1", "flt1", "flt1", "out"}),
                                        serialise("/patch/commit", {})};
        for (const Packet& p : build) {
            auto r = ask(control, p, 10000);
            if (!r || r->address != "/reply") {
                std::fprintf(stderr, "building the patch failed: %s\n",
                             r && r->args.size() > 1 ? r->args[1].text.c_str() : "no reply");
                return 2;
            }
        }
        engineInfo = engineStatus(control);
        progress("rep %d: chronus serve on port %d, driver %s, block %g, device block %g", rep, server.port(),
                 engineInfo.driver.c_str(), engineInfo.blockSize, engineInfo.deviceBlock);
        std::this_thread::sleep_for(std::chrono::milliseconds(500)); // settle after the commit
        std::vector<std::pair<double, int>> plan{{-1.0, 0}}; // idle first
        for (double rate : o.rates)
            plan.emplace_back(rate, 0);
        for (int w : o.windows)
            plan.emplace_back(0.0, w);
        for (const auto& [rate, window] : plan) {
            RunResult r = runOnce(server.port(), server.pid(), rate, window, o.seconds, control);
            progress("rep %d %-10s sent %zu (%.0f/s) answered %zu errors %zu lost %zu p50 %.3f p99 %.3f max %.3f ms, "
                     "none-reads %g xruns %g, server CPU %.2f%s%s",
                     rep, r.label.c_str(), r.sent, r.sentRate, r.answered, r.errors, r.lost, r.p50, r.p99, r.max,
                     r.noneReads, r.xruns, r.serverCpu, r.firstError.empty() ? "" : "; first error: ",
                     r.firstError.c_str());
            all.push_back(std::move(r));
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
        }
        ::close(control);
        server.stop();
    }

    if (!o.csv.empty()) {
        std::ofstream csv(o.csv);
        csv << "rep,run,target_per_s,window,sent,sent_per_s,answered,answered_per_s,errors,lost,late,p50_ms,p99_ms,"
               "max_ms,none_reads,xruns,queue_drops,server_cpu\n";
        const std::size_t perRep = all.size() / static_cast<std::size_t>(o.reps);
        for (std::size_t k = 0; k < all.size(); ++k) {
            const RunResult& r = all[k];
            csv << k / perRep + 1 << ',' << r.label << ',' << r.target << ',' << r.window << ',' << r.sent << ','
                << fmt(r.sentRate, 0) << ',' << r.answered << ',' << fmt(r.answeredRate, 0) << ',' << r.errors << ','
                << r.lost << ',' << r.late << ',' << fmt(r.p50, 4) << ',' << fmt(r.p99, 4) << ',' << fmt(r.max, 4)
                << ',' << r.noneReads << ',' << r.xruns << ',' << r.queueDrops << ',' << fmt(r.serverCpu, 3) << '\n';
        }
    }

    // Medians over the repetitions, per run.
    std::map<std::string, std::vector<const RunResult*>> byLabel;
    std::vector<std::string> order;
    for (const RunResult& r : all) {
        if (!byLabel.count(r.label))
            order.push_back(r.label);
        byLabel[r.label].push_back(&r);
    }
    std::printf("### OSC control: `/mod/osc1/freq` on loopback, %s driver (%s), %.0f s per run, medians of %d\n\n",
                engineInfo.driver.c_str(),
                o.audio == "jack" ? "private `jackd -d dummy -r 48000 -p 64`" : "`chronus serve --audio null`",
                o.seconds, o.reps);
    std::printf("| run | sent/s | answered/s | errors | lost | p50 ms | p99 ms | max ms | none-reads | xruns | server CPU |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    bool pass = true;
    double bestZeroLoss = 0;
    std::string bestLabel;
    double totalNoneReads = 0;
    bool statusOk = true;
    for (const std::string& label : order) {
        const auto& runs = byLabel[label];
        const auto med = [&](auto field) {
            std::vector<double> v;
            for (const RunResult* r : runs)
                v.push_back(field(*r));
            return median(v);
        };
        const double sentRate = med([](const RunResult& r) { return r.sentRate; });
        const double answeredRate = med([](const RunResult& r) { return r.answeredRate; });
        const double errors = med([](const RunResult& r) { return static_cast<double>(r.errors); });
        const double lostMed = med([](const RunResult& r) { return static_cast<double>(r.lost); });
        double worstLoss = 0, noneReads = 0;
        for (const RunResult* r : runs) {
            worstLoss = std::max(worstLoss, static_cast<double>(r->lost + r->errors));
            noneReads += r->noneReads;
            statusOk &= r->statusOk;
        }
        totalNoneReads += noneReads;
        const double p99 = med([](const RunResult& r) { return r.p99; });
        std::printf("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", label.c_str(), fmt(sentRate, 0).c_str(),
                    fmt(answeredRate, 0).c_str(), fmt(errors, 0).c_str(), fmt(lostMed, 0).c_str(),
                    fmt(med([](const RunResult& r) { return r.p50; }), 3).c_str(), fmt(p99, 3).c_str(),
                    fmt(med([](const RunResult& r) { return r.max; }), 3).c_str(), fmt(noneReads, 0).c_str(),
                    fmt(med([](const RunResult& r) { return r.xruns; }), 0).c_str(),
                    fmt(med([](const RunResult& r) { return r.serverCpu; }), 2).c_str());
        // A zero-loss run: no request of any repetition lost or refused.
        // A paced run that kept its target (within 1 %) counts at its target (5 s at 20,000/s send 99,999).
        const double target = runs.front()->target;
        const double zeroLossRate = target > 0 && sentRate >= 0.99 * target ? std::max(answeredRate, target) : answeredRate;
        if (target >= 0 && worstLoss == 0 && zeroLossRate > bestZeroLoss) {
            bestZeroLoss = zeroLossRate;
            bestLabel = label;
        }
        // The latency bar is judged on the paced runs up to 20,000/s and the bare round trip
        // (window 1). A wide window queues by design: 64 outstanding at 20,000/s is 3.2 ms each.
        const bool judged = runs.front()->window == 1 || (target > 0 && target <= 20000);
        if (judged && (worstLoss > 0 || !(p99 < 2.0)))
            pass = false;
    }
    if (bestZeroLoss < 20000)
        pass = false;
    if (totalNoneReads > 0 || !statusOk)
        pass = false;
    std::printf("\nColumns: medians over %d repetitions; none-reads: the sum over all of them (both slots), from "
                "`/engine/status json` before and after each run. Lost: no reply within 1 s. Server CPU: CPU "
                "seconds of the `chronus serve` process (all threads, audio included) per wall second.\n\n",
                o.reps);
    std::printf("Highest zero-loss rate (no request lost or refused in any repetition): %s msg/s (%s).\n\n",
                fmt(bestZeroLoss, 0).c_str(), bestLabel.empty() ? "none" : bestLabel.c_str());
    std::printf("Bar (>= 20,000 msg/s with zero loss; zero loss and p99 < 2 ms in every paced run up to 20,000/s "
                "and with window 1; zero none-reads): **%s**\n\n",
                pass ? "PASS" : "FAIL");
    return pass ? 0 : 1;
}
