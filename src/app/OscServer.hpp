#pragma once
// The OSC control surface: the addresses of the protocol table (Protocol.hpp), which validates
// their arguments and names their replies' values. Every request gets `/reply <address> ...` or
// `/error <address> <message>`, sent back to its sender.
//
// Two transports on the same host and port number: UDP datagrams, and TCP streams framed as OSC 1.0
// streams and liblo's LO_TCP are (each packet preceded by its size, int32 big-endian). A reply goes
// back the way its request came: a datagram to the sender, or a frame on the connection that asked.
// Over TCP a reply may be as large as a frame (a dump of a big patch); over UDP it must fit one
// datagram.
//
// Request ids: a bundle whose first element is `/request/id <int32>` tags the requests after it
// (nested bundles included); each of their answers comes back as a bundle of `/request/id <int32>`
// then the `/reply` or `/error`, so a client can tell a late answer from the one it waits for.
// Untagged requests get plain messages, as always.
//
// Threads: the network thread owns the sockets: it receives, lets liblo parse (messages and
// bundles), validates arguments, answers what needs no controller (status, schema, malformed
// requests) and hands the rest to the controller thread, which hands each one to the patch
// controller (PatchController, the one writer of the engine's patch) and waits for its answer:
// on its own thread (`chronus serve`), or posted to the editor's GUI thread, where the person's
// edits go through the same controller. Replies go back through the network thread (woken through
// an eventfd when a reply is queued elsewhere). A commit blocks only the controller thread (the editor's
// GUI thread never waits for one: its outcome comes as an event); the network thread keeps
// answering meanwhile. It never blocks on a client: every socket is non-blocking, connections are
// bounded in number, frame size, and unsent output (a client that does not read stops being read,
// then is dropped).
//
// liblo 0.31 cannot bind one interface, so the sockets are ours (bound to --osc-host, 127.0.0.1 by
// default) and liblo only parses and serialises.

#include "engine/PatchGraph.hpp"
#include "engine/SlotEngine.hpp"
#include "engine/Status.hpp"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <variant>
#include <vector>

struct sockaddr_storage;

namespace chronus::audio {
class AudioDriver;
class MidiFeed;
class MidiOutput;
class EngineCallback;
}

namespace chronus::app {

class PatchController;
class Recorder;
namespace protocol {
struct Command;
}

// An IPv4 network that may send requests, e.g. 192.168.1.0/24 (host byte order).
struct OscSubnet {
    std::uint32_t address = 0;
    std::uint32_t mask = 0;
    // "A.B.C.D" or "A.B.C.D/N"; an error says what is wrong with the text.
    static engine::Result<OscSubnet> parse(const std::string& text);
    bool contains(std::uint32_t hostOrderAddress) const noexcept { return (hostOrderAddress & mask) == (address & mask); }
};

struct OscServerOptions {
    // The interface to bind; "0.0.0.0" for every one. Anything but loopback needs `allow`: the
    // server refuses to start on a network interface with nobody named who may use it.
    std::string host = "127.0.0.1";
    // Besides loopback (always), who may send requests; datagrams and connections from anyone else
    // are dropped unanswered and counted (OscCounters::refused).
    std::vector<OscSubnet> allow;
    int port = 5005;                 // UDP and TCP; 0 = any port free for both (see OscServer::port())
    QString patchesDir;              // /patch/save and /patch/load names live here
    std::size_t queueCapacity = 1024; // requests waiting for the controller; more get "busy"
    // Why the autosave of the last session was not restored (and where it was set aside), for
    // /engine/status's "autosave_problem"; empty when there was none. Fixed for the server's life.
    std::string autosaveProblem;
    // Each /patch/commit empties the pending patch: the next edits start from nothing, as they did in
    // the predecessor (whose scripts build every patch from scratch without /patch/clear). Off: edits
    // are incremental, on top of what plays.
    bool freshAfterCommit = false;
    // A TCP client that leaves a frame half sent, or its replies unread, for this long is dropped
    // (OscCounters::tcpDropped): it holds one of the few connections and their buffers.
    int tcpStallMs = 30000;
};

struct OscCounters {
    std::uint64_t packets = 0;   // datagrams and TCP frames received
    std::uint64_t requests = 0;  // messages handled (valid or not)
    std::uint64_t replies = 0;   // /reply sent
    std::uint64_t errors = 0;    // /error sent
    std::uint64_t malformed = 0; // packets liblo could not parse: dropped, no reply possible
    std::uint64_t busy = 0;      // refused because the controller's queue was full
    std::uint64_t refused = 0;   // dropped unanswered: the sender is not loopback or allowed
    std::uint64_t tcpAccepted = 0; // TCP connections taken
    std::uint64_t tcpRejected = 0; // TCP connections closed at once: the limit was reached
    std::uint64_t tcpDropped = 0;  // TCP connections closed by the server: a frame too large, a stalled
                                   // client, unread replies over the bound
    std::uint64_t tcpOpen = 0;     // TCP connections open now
};

class OscServer {
public:
    using Value = std::variant<std::int32_t, double, std::string>;

    // Requests go to `patch` (its thread runs them; see PatchController::post).
    OscServer(engine::SlotEngine& engine, PatchController& patch, OscServerOptions options);
    // A patch controller of its own, on the server's controller thread (tests, tools).
    OscServer(engine::SlotEngine& engine, OscServerOptions options);
    ~OscServer();
    OscServer(const OscServer&) = delete;
    OscServer& operator=(const OscServer&) = delete;

    // The driver whose rate, block, latency and xruns the status reports (optional).
    void setDriver(const audio::AudioDriver* driver) { m_driver = driver; }
    // The recorder behind /record/* (optional: without one they answer with an /error).
    void setRecorder(Recorder* recorder) { m_recorder = recorder; }
    // The MIDI input behind /midi/* (optional: without one they answer with an /error). Used on the
    // patch controller's thread only, from then on.
    void setMidi(audio::MidiFeed* midi) { m_midi = midi; }
    // The MIDI output behind /midi/out and the callback that feeds it (optional, as setMidi).
    void setMidiOut(audio::MidiOutput* out, audio::EngineCallback* callback) {
        m_midiOut = out;
        m_midiOutCallback = callback;
    }
    // Called on the patch controller's thread after every request that changed the pending or committed
    // patch (edits, clear, load, commit, undo, abort, /mod), before its reply is queued: the journal
    // puts the change on disk before the client hears of it. What it returns, when not empty, is
    // added to the reply as a warning (the change is made, but not kept), so the client learns of it.
    void setAcknowledgeObserver(std::function<std::string(const std::string& address)> observer) {
        m_onAcknowledge = std::move(observer);
    }

    engine::Status start();
    void stop();
    int port() const noexcept { return m_port; }
    OscCounters counters() const noexcept;

private:
    struct Request {
        std::string address;
        std::vector<Value> args;
        std::vector<std::uint8_t> sender;   // a sockaddr, as bytes
        std::uint64_t connection = 0;       // the TCP connection that asked; 0: a UDP datagram
        std::optional<std::int32_t> requestId; // echoed with the answer
        const protocol::Command* command = nullptr; // its row in the protocol table; null: unknown address
        struct Answer {
            std::mutex mutex;
            std::condition_variable answered;
            bool done = false;
        };
        std::shared_ptr<Answer> answer; // set when the reply or the error went out
    };
    struct Outgoing {
        std::vector<std::uint8_t> packet;
        std::vector<std::uint8_t> sender;
        std::uint64_t connection = 0;
    };
    struct TcpConnection; // network thread

    void networkLoop();
    // Network thread. Those that answer: false when the connection must close.
    void acceptConnections();
    bool readConnection(TcpConnection& connection, std::vector<std::uint8_t>& buffer);
    bool takeFrames(TcpConnection& connection);
    bool flushConnection(TcpConnection& connection);
    // Network thread: queues a frame on connection `id` (gone: the frame is dropped); a connection
    // whose unsent output would pass the bound is marked for closing instead.
    void queueFrame(std::uint64_t id, std::vector<std::uint8_t> packet);
    void controllerLoop();
    friend struct OscDispatch; // liblo's callback, defined with liblo's types in the .cpp
    void handle(const char* path, const char* types, void** argv, int argc, std::optional<std::int32_t> requestId);
    void execute(const Request& request);
    void reply(const Request& request, std::vector<Value> values);
    void replyError(const Request& request, const std::string& message);
    // An /error goes instead of a reply that does not fit a datagram (UDP) or a frame (TCP).
    void send(const Request& request, const char* path, const std::vector<Value>& values);
    std::vector<Value> statusValues(bool json) const;
    // Network thread. Loopback, or inside one of the allowed subnets.
    bool allowed(const struct sockaddr_storage& from) const noexcept;
    std::vector<Value> recordStatusValues() const;
    void executeRecord(const Request& request);
    void executeMidi(const Request& request); // the patch controller's thread
    void executeMidiMap(const Request& request); // the patch controller's thread
    // The controller loop's thread: whether the /midi/learn waiting has its controller or its
    // timeout; then the patch controller's thread maps it (or says it timed out) and replies.
    void checkLearning();
    void finishLearning(std::uint64_t generation); // the patch controller's thread
    // The patch controller's thread: the waiting /midi/learn (if any) answers that it was cancelled.
    void cancelLearning(const std::string& why);

    engine::SlotEngine& m_engine;
    std::unique_ptr<PatchController> m_ownPatch;
    PatchController& m_patch;
    // False once stopped: requests and slot outcomes posted to the patch controller's thread
    // before then find the server gone.
    std::shared_ptr<std::atomic<bool>> m_alive = std::make_shared<std::atomic<bool>>(true);
    OscServerOptions m_options;
    const audio::AudioDriver* m_driver = nullptr;
    Recorder* m_recorder = nullptr;
    audio::MidiFeed* m_midi = nullptr;
    audio::MidiOutput* m_midiOut = nullptr;
    audio::EngineCallback* m_midiOutCallback = nullptr;
    std::function<std::string(const std::string&)> m_onAcknowledge;
    std::string m_schemaJson;
    bool m_clearBeforeEdit = false; // the patch controller's thread: --fresh-after-commit's pending clear is due
    // The /midi/learn waiting for a controller: its request (answered later; the next requests do
    // not wait for it), what it maps, the controller count when it began, its deadline. Set on the
    // patch controller's thread, watched by the controller loop's (m_learnMutex).
    struct Learning {
        Request request;
        std::string module, param;
        std::uint64_t seenAtStart = 0;
        double seconds = 0.0;
        std::chrono::steady_clock::time_point deadline;
        std::uint64_t generation = 0;
        bool finishing = false; // handed to the patch controller's thread
    };
    std::mutex m_learnMutex;
    std::optional<Learning> m_learning;
    std::uint64_t m_learnGeneration = 0;
    std::atomic<bool> m_learnWaiting{false};

    int m_socket = -1;
    int m_listen = -1; // the TCP listening socket
    int m_wake = -1; // eventfd: wakes the network thread when a reply waits in m_out
    int m_port = 0;
    std::vector<std::uint8_t> m_currentSender; // network thread
    std::uint64_t m_currentConnection = 0;     // network thread
    TcpConnection* m_currentTcp = nullptr;     // network thread: the connection being read
    std::vector<std::unique_ptr<TcpConnection>> m_connections; // network thread
    std::uint64_t m_nextConnection = 1;        // network thread
    std::thread m_network, m_controller;
    std::atomic<bool> m_stop{false};

    std::mutex m_queueMutex;
    std::condition_variable m_queueChanged;
    std::deque<Request> m_queue; // network -> controller

    std::mutex m_outMutex;
    std::deque<Outgoing> m_out; // anyone -> network

    std::atomic<std::uint64_t> m_packets{0}, m_requests{0}, m_replies{0}, m_errors{0}, m_malformed{0}, m_busy{0},
        m_refused{0}, m_tcpAccepted{0}, m_tcpRejected{0}, m_tcpDropped{0}, m_tcpOpen{0};
};

// The module registry as JSON: types with category, description, ports and parameters.
std::string schemaJson();

} // namespace chronus::app
