#pragma once
// The JACK connections of a client's ports, kept across a reopen of its stream: RtAudio's JACK
// client closes with the stream, and the connections others made to its ports (a recorder, a
// patchbay's routing) go with it. Read before the stream closes, made again after it reopened, by a
// short-lived client of its own. Control thread only; no-ops without a JACK server.

#include <string>
#include <utility>
#include <vector>

namespace chronus::audio {

// (source port, destination port) pairs, full names.
using JackConnectionList = std::vector<std::pair<std::string, std::string>>;

// Every connection of the ports of JACK client `client` (empty without a server or a client so named).
JackConnectionList jackConnectionsOf(const std::string& client);
// Makes the connections that do not exist yet; returns how many of `connections` are in place
// afterwards (a port that is gone cannot be connected).
int jackConnect(const JackConnectionList& connections);

} // namespace chronus::audio
