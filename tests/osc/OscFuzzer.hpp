#pragma once
// Hostile OSC datagrams for the fuzz tests (tst_osc_fuzz in-process, tst_hostile_osc_fuzz against
// `chronus serve`): mutations of valid requests (bit flips, truncation, type-tag changes, length
// fields, random bytes, huge strings), random bytes, OSC-looking noise and bundles (nested, broken).
// Deterministic for a seed. The valid requests it mutates touch only the pending patch.

#include "OscTestClient.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <string_view>
#include <vector>

namespace chronus::test {

inline constexpr std::size_t kMaxDatagram = 65507;

using Bytes = std::vector<std::uint8_t>;

class Fuzzer {
public:
    explicit Fuzzer(std::uint64_t seed) : m_rng(seed) {}

    Bytes next() {
        const int kind = pick(100);
        Bytes b;
        if (kind < 50)
            b = mutate(validRequest());
        else if (kind < 58)
            b = validRequest(); // some valid ones among them, so the controller works too
        else if (kind < 68)
            b = randomBytes();
        else if (kind < 78)
            b = oscLooking();
        else if (kind < 96)
            b = bundleOf(1 + pick(4), 0);
        else
            b = mutate(deepBundle());
        if (b.size() > kMaxDatagram)
            b.resize(kMaxDatagram);
        return b;
    }

private:
    int pick(int n) { return static_cast<int>(m_rng() % static_cast<std::uint64_t>(n)); }
    std::uint8_t byte() { return static_cast<std::uint8_t>(m_rng()); }
    template <class T, std::size_t N> const T& oneOf(const std::array<T, N>& a) {
        return a[static_cast<std::size_t>(pick(static_cast<int>(N)))];
    }

    std::string id() {
        static const std::array<const char*, 12> ids = {"fz0", "fz1", "fz2", "fz3", "pend1", "nosuch", "", "a.b",
                                                       "x y", "fz0.out", "fz1.in", "fz2.gate"};
        if (pick(20) == 0)
            return std::string(static_cast<std::size_t>(1 + pick(300)), static_cast<char>('a' + pick(26)));
        return oneOf(ids);
    }
    std::string type() {
        static const std::array<const char*, 10> types = {"sine", "saw", "adsr", "vca", "svf", "simple_sine",
                                                          "biquad_filter", "lfo", "theremin", "output"};
        return oneOf(types);
    }
    std::string param() {
        static const std::array<const char*, 8> params = {"freq", "gain", "attack", "release", "cutoff", "q", "level",
                                                          "nope"};
        return oneOf(params);
    }
    float value() {
        static const std::array<float, 8> values = {440.0f, -1.0f, 0.0f, 1e30f, 0.5f, 20000.0f, 1e-30f, 12345.0f};
        return pick(4) == 0 ? std::uniform_real_distribution<float>(-1e6f, 1e6f)(m_rng) : oneOf(values);
    }

    // A well-formed request that can change only the pending patch (no commit, undo or live change
    // on a committed module, so "the committed patch is untouched" is the server's doing).
    Bytes validRequest() {
        OscMessage m;
        std::string path;
        switch (pick(20)) {
        case 0: path = "/patch/create"; m.s(id()).s(type()); break;
        case 1: path = "/patch/create"; m.s("fz" + std::to_string(pick(8))).s(type()); break;
        case 2: path = "/patch/connect"; m.s(id()).s(pick(2) ? "out" : id()); break;
        case 3: path = "/patch/disconnect"; m.s(id()).s(id()); break;
        case 4: path = "/patch/delete"; m.s(id()); break;
        case 5: path = "/patch/set"; m.s(id()).s(param()).f(value()); break;
        case 6: path = "/patch/set"; m.s(id()).s(param()).d(static_cast<double>(value())); break;
        case 7: path = "/patch/set"; m.s(id()).s(param()).i(static_cast<std::int32_t>(m_rng())); break;
        case 8: path = pick(3) ? "/patch/validate" : "/patch/prime"; break;
        case 9: path = pick(4) ? "/patch/dump" : "/patch/abort"; break;
        case 10: path = "/patch/save"; m.s(pick(2) ? "fuzz" : "../escape"); break;
        case 11: path = "/patch/load"; m.s(pick(2) ? "fuzz" : "/etc/passwd"); break;
        case 12: path = "/engine/status"; if (pick(2)) m.s("json"); break;
        case 13: path = "/engine/schema"; break;
        case 14: path = "/mod/" + id() + "/" + param(); m.f(value()); break;
        case 15: path = "/gate/" + id(); pick(2) ? (void)m.i(pick(3)) : (void)m.s(pick(2) ? "on" : "maybe"); break;
        case 16: path = "/record/status"; break;
        case 17: path = "/patch/clear"; break;
        case 18: path = "/no/such/address"; m.i(1); break;
        default: path = "/patch/create"; m.s(std::string(static_cast<std::size_t>(pick(2000)), 'q')).s("sine"); break;
        }
        return m.serialise(path);
    }

    Bytes randomBytes() {
        const std::size_t n = pick(200) == 0 ? static_cast<std::size_t>(pick(static_cast<int>(kMaxDatagram)))
                                            : static_cast<std::size_t>(pick(96));
        Bytes b(n);
        for (auto& x : b)
            x = byte();
        if (!b.empty() && pick(2))
            b[0] = pick(2) ? '/' : '#';
        return b;
    }

    // '/' + a path, a type-tag string of any characters, then random argument bytes.
    Bytes oscLooking() {
        Bytes b;
        std::string path = "/";
        for (int k = pick(24); k > 0; --k)
            path += static_cast<char>(pick(4) ? 'a' + pick(26) : (pick(2) ? '/' : 1 + pick(255)));
        raw::appendString(b, path);
        static constexpr std::string_view kTags = "ifsSbhdtcmTFNI[]r";
        std::string tags = ",";
        for (int k = pick(10); k > 0; --k)
            tags += pick(8) ? kTags[static_cast<std::size_t>(pick(static_cast<int>(kTags.size())))]
                            : static_cast<char>(1 + pick(255));
        raw::appendString(b, tags);
        for (int k = pick(64); k > 0; --k)
            b.push_back(pick(3) ? 0 : byte());
        return b;
    }

    Bytes bundleOf(int elements, int depth) {
        std::vector<Bytes> parts;
        for (int k = 0; k < elements; ++k) {
            if (depth < 6 && pick(4) == 0)
                parts.push_back(bundleOf(1 + pick(3), depth + 1));
            else
                parts.push_back(pick(3) ? validRequest() : mutate(validRequest()));
        }
        const std::uint64_t timetag = pick(4) == 0 ? m_rng() : 1;
        Bytes b = raw::bundle(parts, timetag);
        if (pick(3) == 0)
            b = mutate(std::move(b));
        return b;
    }

    Bytes deepBundle() {
        const int depth = pick(32) ? 10 + pick(100) : 1000 + pick(2000);
        std::vector<Bytes> innermost;
        if (pick(2))
            innermost.push_back(validRequest());
        return raw::nestedBundle(depth, innermost);
    }

    Bytes mutate(Bytes b) {
        const int rounds = 1 + (pick(4) == 0 ? pick(4) : 0);
        for (int r = 0; r < rounds; ++r) {
            switch (pick(9)) {
            case 0: // bit flips
                for (int k = 1 + pick(8); k > 0 && !b.empty(); --k)
                    b[static_cast<std::size_t>(pick(static_cast<int>(b.size())))] ^= static_cast<std::uint8_t>(1u << pick(8));
                break;
            case 1: // truncation
                if (!b.empty())
                    b.resize(static_cast<std::size_t>(pick(static_cast<int>(b.size()))));
                break;
            case 2: { // a type tag changed, added or dropped
                const auto comma = std::find(b.begin(), b.end(), static_cast<std::uint8_t>(','));
                if (comma == b.end())
                    break;
                const std::size_t at = static_cast<std::size_t>(comma - b.begin()) + 1 + static_cast<std::size_t>(pick(4));
                static constexpr std::string_view kTags{"ifsSbhdtcmTFNI[]r\0x", 19};
                const std::uint8_t tag = static_cast<std::uint8_t>(kTags[static_cast<std::size_t>(pick(static_cast<int>(kTags.size())))]);
                if (at >= b.size())
                    break;
                const int how = pick(3);
                if (how == 0)
                    b[at] = tag;
                else if (how == 1)
                    b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), tag);
                else
                    b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
                break;
            }
            case 3: { // a length field (or any aligned word) set to something interesting
                if (b.size() < 4)
                    break;
                static const std::array<std::uint32_t, 8> words = {0u, 1u, 3u, 0x7fffffffu, 0xffffffffu, 0x80000000u,
                                                                   65536u, 16u};
                const std::size_t at = 4 * static_cast<std::size_t>(pick(static_cast<int>(b.size() / 4)));
                const std::uint32_t w = pick(3) ? oneOf(words) : static_cast<std::uint32_t>(b.size() + pick(16));
                for (int k = 0; k < 4; ++k)
                    b[at + static_cast<std::size_t>(k)] = static_cast<std::uint8_t>(w >> (24 - 8 * k));
                break;
            }
            case 4: // a span of random bytes
                if (!b.empty()) {
                    const std::size_t at = static_cast<std::size_t>(pick(static_cast<int>(b.size())));
                    for (std::size_t k = at; k < std::min(b.size(), at + 1 + static_cast<std::size_t>(pick(16))); ++k)
                        b[k] = byte();
                }
                break;
            case 5: { // a huge string: an argument (or the address) grows to kilobytes
                const std::size_t n = pick(64) ? static_cast<std::size_t>(1000 + pick(2000))
                                               : static_cast<std::size_t>(30000 + pick(30000));
                std::size_t at = b.empty() ? 0 : static_cast<std::size_t>(pick(static_cast<int>(b.size())));
                at -= at % 4;
                Bytes s(n, static_cast<std::uint8_t>(pick(2) ? 'h' : 0x80 + pick(128)));
                b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), s.begin(), s.end());
                break;
            }
            case 6: // junk appended
                for (int k = 1 + pick(16); k > 0; --k)
                    b.push_back(byte());
                break;
            case 7: // a chunk duplicated
                if (b.size() >= 8) {
                    const std::size_t at = 4 * static_cast<std::size_t>(pick(static_cast<int>(b.size() / 4)));
                    const std::size_t n = std::min(b.size() - at, static_cast<std::size_t>(4 + 4 * pick(8)));
                    Bytes chunk(b.begin() + static_cast<std::ptrdiff_t>(at), b.begin() + static_cast<std::ptrdiff_t>(at + n));
                    b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), chunk.begin(), chunk.end());
                }
                break;
            default: // a NUL or a non-UTF-8 byte inside a string
                if (!b.empty())
                    b[static_cast<std::size_t>(pick(static_cast<int>(b.size())))] = pick(2) ? 0 : 0xc0;
                break;
            }
        }
        return b;
    }

    std::mt19937_64 m_rng;
};

// Whether the datagram could commit, undo or make a live change on the committed patch (osc1, out):
// those are legitimate, so the fuzzer does not send them and "committed untouched" stays meaningful.
inline bool couldTouchTheCommittedPatch(const Bytes& b) {
    const std::string_view text(reinterpret_cast<const char*>(b.data()), b.size());
    for (std::string_view needle : {"/patch/commit", "/patch/undo_commit", "/mod/osc1", "/mod/out"})
        if (text.find(needle) != std::string_view::npos)
            return true;
    return false;
}

} // namespace chronus::test
