#pragma once

#include <QString>

#include <utility>
#include <variant>

namespace l402 {

// An error a person can read (message) and code can branch on (code). Codes are stable
// snake_case strings because they cross process boundaries (CLI --json, proxy JSON errors).
struct Error {
    QString code;
    QString message;

    friend bool operator==(const Error&, const Error&) = default;
};

// A value or an Error. std::expected is C++23; this is the small subset the project needs.
template <typename T> class [[nodiscard]] Result {
public:
    Result(T value)
        : m_state(std::in_place_index<0>, std::move(value))
    {
    }
    Result(Error error)
        : m_state(std::in_place_index<1>, std::move(error))
    {
    }

    static Result failure(QString code, QString message)
    {
        return Result(Error{std::move(code), std::move(message)});
    }

    bool ok() const { return m_state.index() == 0; }
    explicit operator bool() const { return ok(); }

    const T& value() const& { return std::get<0>(m_state); }
    T& value() & { return std::get<0>(m_state); }
    T&& value() && { return std::get<0>(std::move(m_state)); }
    const T& operator*() const& { return value(); }
    T& operator*() & { return value(); }
    const T* operator->() const { return &value(); }
    T* operator->() { return &value(); }

    const Error& error() const { return std::get<1>(m_state); }

private:
    std::variant<T, Error> m_state;
};

// For operations that only succeed or fail.
struct Unit {
    friend bool operator==(Unit, Unit) = default;
};
using Status = Result<Unit>;
inline Status success()
{
    return Status(Unit{});
}

} // namespace l402
