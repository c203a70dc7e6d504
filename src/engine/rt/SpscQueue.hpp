#pragma once
// Single-producer single-consumer queue of small values, fixed capacity, never allocates, never
// blocks. Plain data with atomics and no pointers inside, so it can live in shared memory later.
// One queue per slot per direction: the producer thread is the only caller of tryPush, the
// consumer thread the only caller of tryPop.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace chronus::engine {

template <class T, std::size_t Capacity>
class SpscQueue {
    static_assert(std::is_trivially_copyable_v<T>, "commands are small values");
    static_assert(Capacity >= 2 && (Capacity & (Capacity - 1)) == 0, "capacity must be a power of two");
    static_assert(Capacity <= (std::size_t{1} << 31));

public:
    static constexpr std::size_t kCapacity = Capacity;

    // Producer only. RT-safe. False when full: the caller counts and reports the drop.
    bool tryPush(const T& value) noexcept {
        const std::uint32_t tail = m_tail.load(std::memory_order_relaxed);
        if (tail - m_headCache == Capacity) {
            m_headCache = m_head.load(std::memory_order_acquire);
            if (tail - m_headCache == Capacity)
                return false;
        }
        m_slots[tail & kMask] = value;
        m_tail.store(tail + 1, std::memory_order_release); // pairs with the consumer's acquire
        return true;
    }

    // Consumer only. RT-safe. False when empty.
    bool tryPop(T& out) noexcept {
        const std::uint32_t head = m_head.load(std::memory_order_relaxed);
        if (head == m_tailCache) {
            m_tailCache = m_tail.load(std::memory_order_acquire);
            if (head == m_tailCache)
                return false;
        }
        out = m_slots[head & kMask];
        m_head.store(head + 1, std::memory_order_release); // pairs with the producer's acquire
        return true;
    }

    // Any thread. A snapshot; exact only when both sides are idle.
    std::size_t sizeApprox() const noexcept {
        return m_tail.load(std::memory_order_acquire) - m_head.load(std::memory_order_acquire);
    }

private:
    static constexpr std::uint32_t kMask = static_cast<std::uint32_t>(Capacity - 1);

    alignas(64) std::atomic<std::uint32_t> m_head{0}; // written by the consumer
    std::uint32_t m_tailCache = 0;                     // consumer's copy of m_tail
    alignas(64) std::atomic<std::uint32_t> m_tail{0}; // written by the producer
    std::uint32_t m_headCache = 0;                     // producer's copy of m_head
    alignas(64) std::array<T, Capacity> m_slots{};
};

} // namespace chronus::engine
