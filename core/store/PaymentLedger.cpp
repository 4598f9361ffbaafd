#include "core/store/PaymentLedger.h"

#include "core/crypto/Digest.h"

#include <functional>

namespace l402::store {
namespace {

constexpr const char* kColumns =
    "id, created_at, updated_at, origin, agent, scheme, invoice, payment_hash, amount_msat, "
    "fee_limit_msat, fee_msat, status, failure_code, failure_message";

PaymentRecord readRecord(const Statement& row)
{
    PaymentRecord record;
    record.id = row.integer(0);
    record.createdAt = row.integer(1);
    record.updatedAt = row.integer(2);
    record.payment.origin = row.text(3);
    record.payment.agent = row.text(4);
    record.payment.scheme = row.text(5);
    record.payment.invoice = row.text(6);
    record.payment.paymentHash = row.blob(7);
    record.payment.amountMsat = row.integer(8);
    record.payment.feeLimitMsat = row.integer(9);
    if (!row.isNull(10)) {
        record.feeMsat = row.integer(10);
    }
    record.status = paymentStatusFromName(row.text(11)).value_or(PaymentStatus::Failed);
    record.failureCode = row.text(12);
    record.failureMessage = row.text(13);
    return record;
}

} // namespace

QString paymentStatusName(PaymentStatus status)
{
    switch (status) {
    case PaymentStatus::Initiated:
        return QStringLiteral("initiated");
    case PaymentStatus::InFlight:
        return QStringLiteral("in_flight");
    case PaymentStatus::Succeeded:
        return QStringLiteral("succeeded");
    case PaymentStatus::Failed:
        return QStringLiteral("failed");
    }
    return {};
}

std::optional<PaymentStatus> paymentStatusFromName(QStringView name)
{
    for (const auto status : {PaymentStatus::Initiated, PaymentStatus::InFlight,
                              PaymentStatus::Succeeded, PaymentStatus::Failed}) {
        if (name == paymentStatusName(status)) {
            return status;
        }
    }
    return std::nullopt;
}

Result<int64_t> PaymentLedger::recordInitiated(const NewPayment& payment)
{
    auto statement = m_database.prepare(
        "INSERT INTO payments (created_at, updated_at, origin, agent, scheme, invoice, "
        "payment_hash, amount_msat, fee_limit_msat, status, credential) "
        "VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'initiated', ?9)");
    if (!statement) {
        return Result<int64_t>(statement.error());
    }
    statement->bind(1, m_clock.nowSeconds())
        .bind(2, payment.origin)
        .bind(3, payment.agent)
        .bind(4, payment.scheme)
        .bind(5, payment.invoice)
        .bind(6, QByteArrayView(payment.paymentHash))
        .bind(7, payment.amountMsat)
        .bind(8, payment.feeLimitMsat);
    if (payment.credential.isEmpty()) {
        statement->bind(9, std::nullopt);
    } else {
        statement->bind(9, QByteArrayView(payment.credential));
    }
    if (auto inserted = statement->run(); !inserted) {
        if (inserted.error().code == QLatin1String(store_error::kConstraint)) {
            auto live = liveAttempt(payment.paymentHash);
            if (live && live.value()) {
                return Result<int64_t>::failure(
                    QLatin1String(ledger_error::kDuplicate),
                    QStringLiteral("This payment hash already has a payment %1 (#%2).")
                        .arg(paymentStatusName(live.value()->status))
                        .arg(live.value()->id));
            }
        }
        return Result<int64_t>(inserted.error());
    }
    return m_database.lastInsertId();
}

Status PaymentLedger::transition(int64_t id, const char* sql,
                                 const std::function<void(Statement&)>& bind)
{
    auto statement = m_database.prepare(sql);
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, id).bind(2, m_clock.nowSeconds());
    bind(*statement);
    if (auto updated = statement->run(); !updated) {
        return updated;
    }
    if (m_database.changes() != 1) {
        return Status::failure(QLatin1String(ledger_error::kBadTransition),
                               QStringLiteral("Payment #%1 is not in a state that allows this "
                                              "change.")
                                   .arg(id));
    }
    return success();
}

Status PaymentLedger::markInFlight(int64_t id)
{
    return transition(id,
                      "UPDATE payments SET status = 'in_flight', updated_at = ?2 "
                      "WHERE id = ?1 AND status = 'initiated'",
                      [](Statement&) {});
}

Status PaymentLedger::markSucceeded(int64_t id, QByteArrayView preimage, int64_t feeMsat)
{
    // A success is only a success with the preimage of this payment's hash: a buggy or
    // hostile backend reporting garbage must not turn the attempt into a final state (the
    // row would then block any new attempt and the stored token would be worthless).
    auto record = find(id);
    if (!record) {
        return Status(record.error());
    }
    if (!record.value() || !crypto::constantTimeEquals(crypto::sha256(preimage),
                                                       record.value()->payment.paymentHash)) {
        return Status::failure(
            QLatin1String(ledger_error::kPreimageMismatch),
            QStringLiteral("The node reported payment #%1 paid, but its preimage "
                           "does not match the payment hash.")
                .arg(id));
    }
    return transition(id,
                      "UPDATE payments SET status = 'succeeded', updated_at = ?2, preimage = ?3, "
                      "fee_msat = ?4 WHERE id = ?1 AND status IN ('initiated', 'in_flight')",
                      [&](Statement& statement) { statement.bind(3, preimage).bind(4, feeMsat); });
}

Status PaymentLedger::markFailed(int64_t id, const QString& code, const QString& message)
{
    return transition(id,
                      "UPDATE payments SET status = 'failed', updated_at = ?2, failure_code = ?3, "
                      "failure_message = ?4 WHERE id = ?1 AND status IN ('initiated', 'in_flight')",
                      [&](Statement& statement) { statement.bind(3, code).bind(4, message); });
}

Result<QList<PaymentRecord>> PaymentLedger::query(const char* sql,
                                                  const std::function<void(Statement&)>& bind)
{
    using R = Result<QList<PaymentRecord>>;
    auto statement = m_database.prepare(sql);
    if (!statement) {
        return R(statement.error());
    }
    bind(*statement);
    QList<PaymentRecord> records;
    for (;;) {
        auto row = statement->step();
        if (!row) {
            return R(row.error());
        }
        if (!row.value()) {
            return records;
        }
        records.append(readRecord(*statement));
    }
}

Result<std::optional<PaymentRecord>> PaymentLedger::find(int64_t id)
{
    static const QByteArray sql = QByteArray("SELECT ") + kColumns + " FROM payments WHERE id = ?1";
    auto rows = query(sql.constData(), [id](Statement& s) { s.bind(1, id); });
    if (!rows) {
        return Result<std::optional<PaymentRecord>>(rows.error());
    }
    return rows->isEmpty() ? std::optional<PaymentRecord>() : std::optional(rows->first());
}

Result<std::optional<PaymentRecord>> PaymentLedger::liveAttempt(QByteArrayView paymentHash)
{
    static const QByteArray sql = QByteArray("SELECT ") + kColumns +
                                  " FROM payments WHERE payment_hash = ?1 AND status IN "
                                  "('initiated', 'in_flight', 'succeeded')";
    auto rows = query(sql.constData(), [paymentHash](Statement& s) { s.bind(1, paymentHash); });
    if (!rows) {
        return Result<std::optional<PaymentRecord>>(rows.error());
    }
    return rows->isEmpty() ? std::optional<PaymentRecord>() : std::optional(rows->first());
}

Result<QList<PaymentRecord>> PaymentLedger::unresolved()
{
    static const QByteArray sql = QByteArray("SELECT ") + kColumns +
                                  " FROM payments WHERE status IN ('initiated', 'in_flight') "
                                  "ORDER BY id";
    return query(sql.constData(), [](Statement&) {});
}

Result<QList<PaymentRecord>> PaymentLedger::page(std::optional<int64_t> beforeId, int limit)
{
    static const QByteArray sql =
        QByteArray("SELECT ") + kColumns + " FROM payments WHERE id < ?1 ORDER BY id DESC LIMIT ?2";
    return query(sql.constData(), [&](Statement& s) {
        s.bind(1, beforeId.value_or(std::numeric_limits<int64_t>::max())).bind(2, int64_t(limit));
    });
}

Result<int64_t> PaymentLedger::count()
{
    auto statement = m_database.prepare("SELECT count(*) FROM payments");
    if (!statement) {
        return Result<int64_t>(statement.error());
    }
    auto row = statement->step();
    if (!row) {
        return Result<int64_t>(row.error());
    }
    return statement->integer(0);
}

Result<QByteArray> PaymentLedger::preimage(int64_t id)
{
    auto statement =
        m_database.prepare("SELECT preimage FROM payments WHERE id = ?1 AND status = 'succeeded'");
    if (!statement) {
        return Result<QByteArray>(statement.error());
    }
    statement->bind(1, id);
    auto row = statement->step();
    if (!row) {
        return Result<QByteArray>(row.error());
    }
    if (!row.value()) {
        return Result<QByteArray>::failure(QStringLiteral("not_found"),
                                           QStringLiteral("Payment #%1 has no preimage.").arg(id));
    }
    return statement->blob(0);
}

Result<QByteArray> PaymentLedger::credential(int64_t id)
{
    auto statement = m_database.prepare("SELECT credential FROM payments WHERE id = ?1");
    if (!statement) {
        return Result<QByteArray>(statement.error());
    }
    statement->bind(1, id);
    auto row = statement->step();
    if (!row) {
        return Result<QByteArray>(row.error());
    }
    return row.value() ? statement->blob(0) : QByteArray();
}

} // namespace l402::store
