#pragma once

#include "core/store/Database.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QList>
#include <QString>

#include <functional>
#include <limits>
#include <optional>

namespace l402::store {

enum class PaymentStatus { Initiated, InFlight, Succeeded, Failed };
QString paymentStatusName(PaymentStatus status); // initiated|in_flight|succeeded|failed
std::optional<PaymentStatus> paymentStatusFromName(QStringView name);

namespace ledger_error {
inline constexpr auto kDuplicate = "duplicate_payment"; // a live attempt exists for the hash
inline constexpr auto kBadTransition = "invalid_transition";
inline constexpr auto kPreimageMismatch = "preimage_mismatch";
} // namespace ledger_error

struct NewPayment {
    QString origin;
    QString agent;
    QString scheme; // L402, LSAT or Payment
    QString invoice;
    QByteArray paymentHash;
    int64_t amountMsat = 0;
    int64_t feeLimitMsat = 0;
    // What the payment buys, kept with the attempt: the L402 macaroon (binary) or the MPP
    // challenge (JSON). A payment that completes while the wallet is down still yields it.
    QByteArray credential;
};

struct PaymentRecord {
    int64_t id = 0;
    int64_t createdAt = 0;
    int64_t updatedAt = 0;
    NewPayment payment;
    PaymentStatus status = PaymentStatus::Initiated;
    std::optional<int64_t> feeMsat;
    QString failureCode;
    QString failureMessage;
};

// The durable payment ledger (DESIGN §3.3): a row is written `initiated` before the node is
// called and only moves forward: initiated -> in_flight -> succeeded | failed; an outcome
// that arrives before the in_flight write may also go straight from initiated. Succeeded
// requires the preimage of the row's payment hash. The database refuses a second live attempt for
// one payment hash. Every method is one transaction; with synchronous=FULL it is on disk when it
// returns.
class PaymentLedger {
public:
    PaymentLedger(Database& database, const Clock& clock)
        : m_database(database)
        , m_clock(clock)
    {
    }

    Result<int64_t> recordInitiated(const NewPayment& payment);
    Status markInFlight(int64_t id);
    Status markSucceeded(int64_t id, QByteArrayView preimage, int64_t feeMsat);
    Status markFailed(int64_t id, const QString& code, const QString& message);

    Result<std::optional<PaymentRecord>> find(int64_t id);
    Result<std::optional<PaymentRecord>> liveAttempt(QByteArrayView paymentHash);
    // Attempts whose outcome is not known yet; reconciled before any new payment.
    Result<QList<PaymentRecord>> unresolved();
    // Newest first, `limit` rows older than `beforeId` (keyset paging: cost independent of
    // how deep the page is).
    Result<QList<PaymentRecord>> page(std::optional<int64_t> beforeId, int limit);
    Result<int64_t> count();
    Result<QByteArray> preimage(int64_t id);
    Result<QByteArray> credential(int64_t id);

private:
    Status transition(int64_t id, const char* sql, const std::function<void(Statement&)>& bind);
    Result<QList<PaymentRecord>> query(const char* sql,
                                       const std::function<void(Statement&)>& bind);

    Database& m_database;
    const Clock& m_clock;
};

} // namespace l402::store
