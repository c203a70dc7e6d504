#pragma once
// A minimal blocking OSC client for tests that drive a `chronus` process (serve or the editor): one
// request, then its answer, over a UDP socket of its own on 127.0.0.1. Only what those tests send
// (strings, floats) and read (strings, numbers) is encoded; no liblo, so any test can include it.
// Waiting is on the answer, with a deadline, never a fixed sleep.

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QVariant>
#include <QtEndian>

#include <arpa/inet.h>
#include <chrono>
#include <cstring>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace chronus::test {

class OscUdpClient {
public:
    explicit OscUdpClient(int port) : m_port(port) {
        m_fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in self{};
        self.sin_family = AF_INET;
        self.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&self), sizeof self);
    }
    ~OscUdpClient() { ::close(m_fd); }
    OscUdpClient(const OscUdpClient&) = delete;
    OscUdpClient& operator=(const OscUdpClient&) = delete;

    // Sends `path` with `args` (QString: a string, double: a float) and returns the answer as
    // {"/reply" or "/error", its values as text...}; empty when none came within `timeoutMs`.
    QStringList request(const QString& path, const QVariantList& args, int timeoutMs = 10000) {
        QByteArray tags(",");
        QByteArray data;
        for (const QVariant& a : args) {
            if (a.typeId() == QMetaType::QString) {
                tags += 's';
                data += padded(a.toString().toUtf8());
            } else {
                tags += 'f';
                const float f = a.toFloat();
                quint32 bits;
                std::memcpy(&bits, &f, sizeof bits);
                data += bigEndian(bits);
            }
        }
        const QByteArray packet = padded(path.toUtf8()) + padded(tags) + data;
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(static_cast<quint16>(m_port));
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::sendto(m_fd, packet.constData(), static_cast<std::size_t>(packet.size()), 0,
                     reinterpret_cast<sockaddr*>(&to), sizeof to) != packet.size())
            return {};
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
        while (std::chrono::steady_clock::now() < deadline) {
            pollfd p{m_fd, POLLIN, 0};
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (::poll(&p, 1, static_cast<int>(std::max<long long>(1, left.count()))) <= 0)
                continue;
            QByteArray in(65536, '\0');
            const ssize_t n = ::recv(m_fd, in.data(), static_cast<std::size_t>(in.size()), 0);
            if (n > 0)
                return decode(in.left(n));
        }
        return {};
    }

private:
    static QByteArray padded(QByteArray s) {
        s += '\0';
        while (s.size() % 4)
            s += '\0';
        return s;
    }
    static QByteArray bigEndian(quint32 v) {
        const quint32 be = qToBigEndian(v);
        return QByteArray(reinterpret_cast<const char*>(&be), 4);
    }
    static QStringList decode(const QByteArray& in) {
        qsizetype at = 0;
        const auto text = [&] {
            const qsizetype end = in.indexOf('\0', at);
            const QByteArray s = in.mid(at, end < 0 ? -1 : end - at);
            at = end < 0 ? in.size() : (end + 4) / 4 * 4;
            return s;
        };
        QStringList out{QString::fromUtf8(text())};
        const QByteArray tags = text();
        for (qsizetype t = 1; t < tags.size() && at <= in.size(); ++t) {
            const char type = tags.at(t);
            if (type == 's' || type == 'S') {
                out << QString::fromUtf8(text());
            } else if (type == 'i' || type == 'f') {
                quint32 v;
                std::memcpy(&v, in.constData() + at, 4);
                v = qFromBigEndian(v);
                at += 4;
                if (type == 'i') {
                    out << QString::number(static_cast<qint32>(v));
                } else {
                    float f;
                    std::memcpy(&f, &v, sizeof f);
                    out << QString::number(static_cast<double>(f));
                }
            } else {
                out << QStringLiteral("(%1)").arg(type);
                break;
            }
        }
        return out;
    }

    int m_port;
    int m_fd = -1;
};

} // namespace chronus::test
