#pragma once

#include <QString>
#include <QStringView>

#include <optional>
#include <span>
#include <string_view>

namespace l402::payments {

// Codes of the guards that stop a payment before the budget is asked (DESIGN §4). The kill
// switch gives the first two (policy/SpendingSwitch); the drain, price and rate guards the
// others.
namespace refusal_error {
inline constexpr auto kWalletPaused = "wallet_paused";
inline constexpr auto kAgentPaused = "agent_paused";
inline constexpr auto kOriginPaused = "origin_paused";
inline constexpr auto kPriceSpike = "price_spike";
inline constexpr auto kRateLimited = "rate_limited";
} // namespace refusal_error

// What a refusal means for the one who asked, which decides fetch's exit code (lnget's
// mapping) and is what MCP clients are told.
enum class RefusalKind {
    OverLimit, // over a cost, payment maximum, budget window or rate: fetch exits 2
    Refused,   // the wallet chose not to pay (rule, user, invoice checks, pause, guards): 3
    Failed,    // a payment was tried and did not complete, or its outcome is open: 3
    Network,   // the server asked for cannot be reached: 4
    Wallet,    // the wallet itself cannot do it (database, no node, no running wallet): 1
    Request,   // the agent's request to the proxy was malformed or not allowed: 1
};

struct RefusalCode {
    std::string_view code;
    int httpStatus; // what the proxy answers with `L402-Wallet-Error: <code>`
    RefusalKind kind;
};

// The one table of every refusal and failure code a payment or the proxy gives an agent
// (proxy JSON errors, fetch exit codes, MCP tool errors). RefusalCodesTest checks every code
// in the sources is here, and that docs/ARCHITECTURE.md lists the same table.
std::span<const RefusalCode> refusalCodes();
std::optional<RefusalCode> findRefusalCode(QStringView code);

// The proxy's HTTP status for `code`; an unknown code is a refusal to pay (402).
int httpStatusForRefusal(QStringView code);
// fetch's exit code: 2 over a limit, 3 refused or failed, 4 network, 1 the wallet's own
// error; an unknown code counts as a refused payment (3).
int fetchExitForRefusal(QStringView code);
int fetchExitFor(RefusalKind kind);
// "over_limit", "refused", "failed", "network", "wallet", "request" (MCP tool errors).
QString refusalKindName(RefusalKind kind);

} // namespace l402::payments
