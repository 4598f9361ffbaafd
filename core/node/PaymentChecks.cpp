#include "core/node/PaymentChecks.h"

#include "core/crypto/Digest.h"

namespace l402::node {

PaymentResult requirePreimageOf(PaymentResult result, const QByteArray& paymentHash,
                                const QString& nodeName)
{
    if (result.outcome == PaymentResult::Outcome::Succeeded &&
        (result.preimage.size() != 32 ||
         !crypto::constantTimeEquals(crypto::sha256(result.preimage), paymentHash))) {
        return PaymentResult::inFlight(
            QStringLiteral("%1 reported success with a preimage that does not match the payment "
                           "hash.")
                .arg(nodeName));
    }
    return result;
}

PaymentResult noteFeeOverLimit(PaymentResult result, int64_t maxFeeMsat, const QString& nodeName)
{
    if (result.outcome == PaymentResult::Outcome::Succeeded && result.feeMsat > maxFeeMsat) {
        result.failureMessage =
            QStringLiteral("%1 cannot cap routing fees: this payment went through with a fee of "
                           "%2 msat, above the limit of %3 msat.")
                .arg(nodeName)
                .arg(result.feeMsat)
                .arg(maxFeeMsat);
    }
    return result;
}

} // namespace l402::node
