#pragma once
// Status and Result: error values for the control-thread API of the engine.
// Control thread only: they hold std::string and allocate.

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace chronus::engine {

enum class ErrorCode {
    None,
    UnknownModuleType,
    UnknownModule,
    UnknownPort,
    UnknownParam,
    DuplicateId,
    InvalidId,
    Cycle,
    AlreadyConnected,
    NotConnected,
    ProtectedModule,
    InvalidValue,
    InvalidArgument,
    QueueFull,   // a slot's command queue stayed full; the request was not applied
    Timeout,     // prime, commit or a worker did not answer in time; nothing switched
    RolledBack,  // the committed patch turned unhealthy (NaN, Inf, runaway level) and was undone
    NotRunning,  // the engine or its audio callback is not running
    Device,      // the audio device or server failed or refused the stream
    OverBudget,  // the patch would need more memory than the engine's budget; nothing changed
    Worker,      // a slot worker process could not be started
};

class Status {
public:
    Status() = default;
    static Status error(ErrorCode code, std::string message) { return Status{code, std::move(message)}; }

    bool ok() const noexcept { return m_code == ErrorCode::None; }
    explicit operator bool() const noexcept { return ok(); }
    ErrorCode code() const noexcept { return m_code; }
    const std::string& message() const noexcept { return m_message; }

private:
    Status(ErrorCode code, std::string message) : m_code(code), m_message(std::move(message)) {}
    ErrorCode m_code = ErrorCode::None;
    std::string m_message;
};

// A value or the Status saying why there is none.
template <class T>
class Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Status status) : m_status(std::move(status)) {}

    bool ok() const noexcept { return m_status.ok(); }
    explicit operator bool() const noexcept { return ok(); }
    const Status& status() const& noexcept { return m_status; }
    // Of a temporary Result, a Status of its own: `const auto& s = f().status();` must not refer
    // into a Result that is gone at the semicolon.
    Status status() && noexcept { return std::move(m_status); }
    T& value() & { return *m_value; }
    const T& value() const& { return *m_value; }
    T&& value() && { return std::move(*m_value); }
    T* operator->() { return &*m_value; }
    const T* operator->() const { return &*m_value; }

private:
    std::optional<T> m_value;
    Status m_status;
};

} // namespace chronus::engine
