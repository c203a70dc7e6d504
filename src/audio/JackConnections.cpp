#include "audio/JackConnections.hpp"

#include <jack/jack.h>

#include <cerrno>

namespace chronus::audio {

namespace {
// A client of our own for the queries: never starts a server, and goes away with the scope.
class QueryClient {
public:
    QueryClient() {
        jack_status_t status{};
        m_client = jack_client_open("chronus-connections", JackNoStartServer, &status);
    }
    ~QueryClient() {
        if (m_client)
            jack_client_close(m_client);
    }
    QueryClient(const QueryClient&) = delete;
    QueryClient& operator=(const QueryClient&) = delete;
    jack_client_t* get() const noexcept { return m_client; }

private:
    jack_client_t* m_client = nullptr;
};
} // namespace

JackConnectionList jackConnectionsOf(const std::string& client) {
    JackConnectionList list;
    QueryClient query;
    if (!query.get())
        return list;
    const char** ports = jack_get_ports(query.get(), nullptr, nullptr, 0);
    const std::string prefix = client + ":";
    for (int i = 0; ports && ports[i]; ++i) {
        const std::string name = ports[i];
        if (name.compare(0, prefix.size(), prefix) != 0)
            continue;
        jack_port_t* port = jack_port_by_name(query.get(), ports[i]);
        if (!port)
            continue;
        const bool output = (jack_port_flags(port) & JackPortIsOutput) != 0;
        const char** peers = jack_port_get_all_connections(query.get(), port);
        for (int j = 0; peers && peers[j]; ++j)
            list.emplace_back(output ? name : std::string(peers[j]), output ? std::string(peers[j]) : name);
        jack_free(peers);
    }
    jack_free(ports);
    return list;
}

int jackConnect(const JackConnectionList& connections) {
    if (connections.empty())
        return 0;
    QueryClient query;
    if (!query.get())
        return 0;
    int inPlace = 0;
    for (const auto& [source, destination] : connections) {
        const int rc = jack_connect(query.get(), source.c_str(), destination.c_str());
        if (rc == 0 || rc == EEXIST)
            ++inPlace;
    }
    return inPlace;
}

} // namespace chronus::audio
