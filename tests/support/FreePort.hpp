#pragma once
// A port on loopback that was free a moment ago for UDP and TCP both (the OSC server takes the same
// number for each), for a server a test starts (`serve --osc-port N`). Another process could take it
// in between; the tests that use it start one server.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace chronus::test {

inline int freeUdpPort() {
    for (int attempt = 0; attempt < 20; ++attempt) {
        const int udp = ::socket(AF_INET, SOCK_DGRAM, 0);
        if (udp < 0)
            return -1;
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t len = sizeof addr;
        int port = -1;
        if (::bind(udp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
            ::getsockname(udp, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
            port = ntohs(addr.sin_port);
        const int tcp = port > 0 ? ::socket(AF_INET, SOCK_STREAM, 0) : -1;
        const bool tcpFree = tcp >= 0 && ::bind(tcp, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
        if (tcp >= 0)
            ::close(tcp);
        ::close(udp);
        if (port <= 0 || tcpFree)
            return port;
    }
    return -1;
}

} // namespace chronus::test
