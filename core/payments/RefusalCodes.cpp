#include "core/payments/RefusalCodes.h"

#include <array>

namespace l402::payments {
namespace {

using K = RefusalKind;

// Keep in the order of docs/ARCHITECTURE.md's "Refusal codes" table (the test compares them).
constexpr std::array kCodes{
    // Over a limit: the payment is still required (402); fetch exits 2.
    RefusalCode{"budget_exceeded", 402, K::OverLimit},
    RefusalCode{"over_max_payment", 402, K::OverLimit},
    RefusalCode{"over_max_cost", 402, K::OverLimit},
    RefusalCode{"rate_limited", 402, K::OverLimit},
    // Refused by the wallet (402); fetch exits 3.
    RefusalCode{"site_blocked", 402, K::Refused},
    RefusalCode{"denied_by_user", 402, K::Refused},
    RefusalCode{"approval_timeout", 402, K::Refused},
    RefusalCode{"wallet_paused", 402, K::Refused},
    RefusalCode{"agent_paused", 402, K::Refused},
    RefusalCode{"origin_paused", 402, K::Refused},
    RefusalCode{"price_spike", 402, K::Refused},
    RefusalCode{"invoice_mismatch", 402, K::Refused},
    RefusalCode{"invoice_expired", 402, K::Refused},
    RefusalCode{"wrong_network", 402, K::Refused},
    RefusalCode{"amountless_invoice", 402, K::Refused},
    RefusalCode{"invalid_signature", 402, K::Refused},
    RefusalCode{"invalid_challenge", 402, K::Refused},
    // Tried and not completed; fetch exits 3.
    RefusalCode{"node_unavailable", 502, K::Failed},
    RefusalCode{"payment_failed", 502, K::Failed},
    RefusalCode{"invalid_preimage", 502, K::Failed},
    RefusalCode{"token_rejected", 502, K::Failed},
    RefusalCode{"payment_pending", 504, K::Failed},
    // The server cannot be reached; fetch exits 4.
    RefusalCode{"upstream_unreachable", 502, K::Network},
    // The wallet's own trouble; fetch exits 1.
    RefusalCode{"wallet_error", 502, K::Wallet},
    RefusalCode{"no_node", 502, K::Wallet},
    RefusalCode{"control_unavailable", 502, K::Wallet},
    RefusalCode{"internal", 500, K::Wallet},
    // The request to the proxy itself; fetch exits 1.
    RefusalCode{"proxy_auth_required", 407, K::Request},
    RefusalCode{"agent_auth_required", 401, K::Request},
    RefusalCode{"forbidden_origin", 403, K::Request},
    RefusalCode{"host_not_allowed", 403, K::Request},
    RefusalCode{"destination_not_allowed", 403, K::Request},
    RefusalCode{"bad_request", 400, K::Request},
    RefusalCode{"invalid_url", 400, K::Request},
    RefusalCode{"not_found", 404, K::Request},
    RefusalCode{"request_timeout", 408, K::Request},
    RefusalCode{"body_too_large_to_replay", 413, K::Request},
    RefusalCode{"headers_too_large", 431, K::Request},
    RefusalCode{"too_many_connections", 503, K::Request},
    RefusalCode{"unsupported_version", 505, K::Request},
    // The wallet's other interfaces (control socket, fetch, mcp): who the caller is.
    RefusalCode{"agent_credential_required", 401, K::Request},
    RefusalCode{"agent_unknown", 401, K::Request},
    RefusalCode{"owner_confirmation_required", 403, K::Request},
    RefusalCode{"owner_proof_wrong", 403, K::Request},
    RefusalCode{"owner_proof_locked", 429, K::Request},
    RefusalCode{"owner_denied", 403, K::Request},
};

} // namespace

std::span<const RefusalCode> refusalCodes()
{
    return kCodes;
}

std::optional<RefusalCode> findRefusalCode(QStringView code)
{
    for (const RefusalCode& entry : kCodes) {
        if (QLatin1StringView(entry.code.data(), qsizetype(entry.code.size())) == code) {
            return entry;
        }
    }
    return std::nullopt;
}

int httpStatusForRefusal(QStringView code)
{
    const auto found = findRefusalCode(code);
    return found ? found->httpStatus : 402;
}

int fetchExitFor(RefusalKind kind)
{
    switch (kind) {
    case RefusalKind::OverLimit:
        return 2;
    case RefusalKind::Refused:
    case RefusalKind::Failed:
        return 3;
    case RefusalKind::Network:
        return 4;
    case RefusalKind::Wallet:
    case RefusalKind::Request:
        return 1;
    }
    return 3;
}

int fetchExitForRefusal(QStringView code)
{
    const auto found = findRefusalCode(code);
    return fetchExitFor(found ? found->kind : RefusalKind::Refused);
}

QString refusalKindName(RefusalKind kind)
{
    switch (kind) {
    case RefusalKind::OverLimit:
        return QStringLiteral("over_limit");
    case RefusalKind::Refused:
        return QStringLiteral("refused");
    case RefusalKind::Failed:
        return QStringLiteral("failed");
    case RefusalKind::Network:
        return QStringLiteral("network");
    case RefusalKind::Wallet:
        return QStringLiteral("wallet");
    case RefusalKind::Request:
        return QStringLiteral("request");
    }
    return QStringLiteral("refused");
}

} // namespace l402::payments
