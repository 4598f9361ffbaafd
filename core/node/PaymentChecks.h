#pragma once

#include "core/node/LightningNode.h"

namespace l402::node {

// A reported success is only a success with the preimage of the payment hash; anything else
// is an unknown outcome (in flight), for reconciliation to settle.
PaymentResult requirePreimageOf(PaymentResult result, const QByteArray& paymentHash,
                                const QString& nodeName);

// For backends that cannot cap routing fees (LNbits, phoenixd, NWC): the payment already
// happened, so it stays a success with its real fee, and the overshoot is said plainly.
PaymentResult noteFeeOverLimit(PaymentResult result, int64_t maxFeeMsat, const QString& nodeName);

} // namespace l402::node
