#pragma once
// Marks the code that must be real-time safe (the audio callback, a worker's render loop) so a test
// can watch it: a counting operator new asks inRealtimeSection() and counts what happens inside.
// Costs one thread-local store on entry and one on exit.

namespace chronus::engine::rt {

inline thread_local bool t_inRealtimeSection = false;

inline bool inRealtimeSection() noexcept { return t_inRealtimeSection; }

class RealtimeSection {
public:
    RealtimeSection() noexcept : m_outer(t_inRealtimeSection) { t_inRealtimeSection = true; }
    ~RealtimeSection() { t_inRealtimeSection = m_outer; }
    RealtimeSection(const RealtimeSection&) = delete;
    RealtimeSection& operator=(const RealtimeSection&) = delete;

private:
    bool m_outer;
};

} // namespace chronus::engine::rt
