#pragma once

#include "core/protocol/Bolt11.h"
#include "core/util/Clock.h"
#include "core/util/Result.h"

#include <QByteArray>

#include <optional>

namespace l402::protocol {

// Refusal codes of the payment checks; they are the proxy's error codes (DESIGN §4).
namespace check_error {
inline constexpr auto kInvoiceMismatch = "invoice_mismatch";
inline constexpr auto kInvoiceExpired = "invoice_expired";
inline constexpr auto kWrongNetwork = "wrong_network";
inline constexpr auto kAmountless = "amountless_invoice";
inline constexpr auto kInvalidSignature = "invalid_signature";
inline constexpr auto kInvalidChallenge = "invalid_challenge";
} // namespace check_error

struct InvoiceExpectations {
    // What binds the invoice to what is bought. L402: the macaroon identifier's payment hash,
    // which must be given (a forgotten hash is an error, never "no check"). MPP charge: the
    // challenge itself; see checkPaymentChallenge().
    enum class Binding { L402Macaroon, MppCharge };
    Network nodeNetwork = Network::Bitcoin;
    Binding binding = Binding::L402Macaroon;
    QByteArray expectedPaymentHash;
    // An invoice that expires within this margin is treated as expired: paying it would
    // race the payee's own expiry.
    qint64 expiryMarginSeconds = 10;
};

// Decodes `invoiceText` and checks it is safe to pay (DESIGN §3 invariant 1): valid
// signature, not expired by `clock`, on the node's network, with an amount, a payment
// secret and (L402) the payment hash the macaroon commits to. Pure: no I/O.
Result<Invoice> checkInvoiceForPayment(QStringView invoiceText,
                                       const InvoiceExpectations& expectations, const Clock& clock);

// MPP `Payment` charge: the challenge's own statements (methodDetails.paymentHash, network,
// request amount in sat) must agree with its invoice, so a budget or a prompt that shows
// the request's price shows what the invoice charges.
Status checkPaymentChallenge(const struct PaymentChallenge& challenge, const Invoice& invoice);

// The same checks on an already decoded invoice.
Status checkDecodedInvoice(const Invoice& invoice, const InvoiceExpectations& expectations,
                           const Clock& clock);

} // namespace l402::protocol
