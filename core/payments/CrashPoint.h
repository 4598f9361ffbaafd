#pragma once

// Named places in the payment flow where a test build can kill its own process, so the crash
// matrix (tests/integration/CrashMatrixTest) can prove what a restart recovers. Compiled in
// only with -DL402_CRASH_POINTS=ON (the test build); release builds contain none of this.
// The environment variable L402_WALLET_CRASH_POINT names the point that fires.

#ifdef L402_CRASH_POINTS
#include <QByteArray>
#include <QtGlobal>

#include <csignal>
#endif

namespace l402::payments {

inline constexpr auto kCrashAfterReservation = "after_reservation";
inline constexpr auto kCrashAfterInitiated = "after_initiated";
inline constexpr auto kCrashDuringNodeCall = "during_node_call";
inline constexpr auto kCrashAfterNodeSuccess = "after_node_success";

#ifdef L402_CRASH_POINTS
inline void crashPoint(const char* name)
{
    static const QByteArray selected = qgetenv("L402_WALLET_CRASH_POINT");
    if (!selected.isEmpty() && selected == name) {
        std::raise(SIGKILL); // no cleanup, no flush: what a power cut or OOM kill leaves
    }
}
#else
inline void crashPoint(const char*)
{
}
#endif

} // namespace l402::payments
