#include "core/node/DemoNode.h"

#include "core/crypto/Digest.h"
#include "core/crypto/Secp256k1.h"
#include "core/protocol/Bolt11.h"

#include <QDateTime>
#include <QTimer>

namespace l402::node {
namespace {

// A fixed, public key: the demo payee signs demo invoices only, on regtest.
const QByteArray& demoPayeeKey()
{
    static const QByteArray key = crypto::sha256("l402-wallet demo payee (simulated funds)");
    return key;
}

// Callbacks come later, on the event loop, as from a real node: callers must not depend on
// the demo answering inside the call.
template <typename F> CallHandle answerLater(F answer)
{
    CallHandle handle;
    QTimer::singleShot(0, [handle, answer] {
        if (!handle.cancelled()) {
            answer();
        }
    });
    return handle;
}

// Demo invoices carry a random nonce in their metadata (`m`) field and their preimage is
// HMAC(demo key, nonce): so a `fetch` in one process can pay an invoice the demo API of the
// `--demo` window issued in another, and the payee can still prove nothing but the demo
// world produced it.
QByteArray demoPreimage(QByteArrayView nonce)
{
    return crypto::hmacSha256(demoPayeeKey(), nonce);
}

} // namespace

DemoLedger::DemoLedger(int64_t startingBalanceMsat)
    : m_balanceMsat(startingBalanceMsat)
{
}

QByteArray DemoLedger::payeePublicKey() const
{
    return crypto::publicKeyFromPrivate(demoPayeeKey()).value();
}

DemoLedger::IssuedInvoice DemoLedger::issueInvoice(int64_t amountMsat, const QString& description,
                                                   int64_t expirySeconds)
{
    IssuedInvoice issued;
    const QByteArray nonce = crypto::randomBytes(16);
    issued.preimage = demoPreimage(nonce);
    issued.paymentHash = crypto::sha256(issued.preimage);
    protocol::InvoiceDraft draft;
    draft.network = protocol::Network::Regtest;
    draft.amountMsat = static_cast<uint64_t>(amountMsat);
    draft.timestamp = QDateTime::currentSecsSinceEpoch();
    draft.expirySeconds = expirySeconds;
    draft.paymentHash = issued.paymentHash;
    draft.paymentSecret = crypto::randomBytes(32);
    draft.description = description;
    draft.features = {8, 14};
    draft.metadata = nonce;
    issued.invoice = protocol::encodeInvoice(draft, demoPayeeKey()).value();
    return issued;
}

CallHandle DemoNode::info(std::function<void(Result<NodeInfo>)> done)
{
    NodeInfo info;
    info.backend = QStringLiteral("demo");
    info.alias = QStringLiteral("Demo node (simulated funds)");
    info.pubkey = crypto::publicKeyFromPrivate(crypto::sha256("l402-wallet demo node")).value();
    info.network = protocol::Network::Regtest;
    return answerLater([done, info] { done(info); });
}

CallHandle DemoNode::balance(std::function<void(Result<Balance>)> done)
{
    const int64_t balance = m_ledger->balanceMsat();
    return answerLater([done, balance] { done(Balance{balance}); });
}

CallHandle DemoNode::pay(const PayRequest& request, std::function<void(PaymentResult)> done)
{
    auto ledger = m_ledger;
    return answerLater([ledger, request, done] {
        auto invoice = protocol::decodeInvoice(request.invoice);
        if (!invoice || invoice->paymentHash != request.paymentHash) {
            done(PaymentResult::failed(QStringLiteral("payment_rejected"),
                                       QStringLiteral("The demo node cannot read this invoice.")));
            return;
        }
        if (ledger->m_payments.contains(request.paymentHash)) {
            done(ledger->m_payments.value(request.paymentHash)); // never pays a hash twice
            return;
        }
        const QByteArray preimage = demoPreimage(invoice->metadata);
        if (invoice->payee != ledger->payeePublicKey() ||
            crypto::sha256(preimage) != request.paymentHash) {
            done(PaymentResult::failed(QStringLiteral("no_route"),
                                       QStringLiteral("The demo node pays only the built-in demo "
                                                      "API; it has no route to this payee.")));
            return;
        }
        const int64_t amount = static_cast<int64_t>(invoice->amountMsat.value_or(0));
        if (amount <= 0 || amount > ledger->m_balanceMsat) {
            done(PaymentResult::failed(QStringLiteral("insufficient_balance"),
                                       QStringLiteral("The demo balance is too low.")));
            return;
        }
        ledger->m_balanceMsat -= amount;
        PaymentResult result;
        result.outcome = PaymentResult::Outcome::Succeeded;
        result.preimage = preimage;
        result.feeMsat = 0;
        ledger->m_payments.insert(request.paymentHash, result);
        done(result);
    });
}

CallHandle DemoNode::lookup(const QByteArray& paymentHash,
                            std::function<void(Result<PaymentResult>)> done)
{
    auto ledger = m_ledger;
    return answerLater([ledger, paymentHash, done] {
        if (!ledger->m_payments.contains(paymentHash)) {
            done(Result<PaymentResult>::failure(
                QLatin1String(node_error::kNotFound),
                QStringLiteral("The demo node never paid this hash.")));
            return;
        }
        done(ledger->m_payments.value(paymentHash));
    });
}

} // namespace l402::node
