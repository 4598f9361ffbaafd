#pragma once

#include "core/node/LightningNode.h"

#include <QDeadlineTimer>
#include <QObject>

#include <chrono>
#include <functional>

namespace l402::node {

using LookupOnce = std::function<void(std::function<void(Result<PaymentResult>)>)>;

// For backends whose pay call can return before the outcome is known (CLN's pending pay,
// LNbits' "pending", phoenixd's in-progress answer): asks `lookupOnce` every `interval` until
// the payment is final, then calls `finish`; at `deadline` it finishes in flight, never
// failed. Timers run on `timerContext`'s thread and stop with it; a cancelled `outer` ends
// the polling silently.
void pollUntilFinal(LookupOnce lookupOnce, QObject* timerContext, QDeadlineTimer deadline,
                    std::chrono::milliseconds interval, CallHandle outer, QString nodeName,
                    std::function<void(PaymentResult)> finish);

// A "failed" from a pay call is final only when the node's own record of the hash agrees:
// real nodes answer a pay of a hash they are still paying, or already paid, with errors that
// read like failures (LNbits checks the balance, which already counts the pending payment,
// before it looks for the hash; xpay's 209 and 203 can come while parts are still out; LND
// refuses with a bare 500; an NWC wallet's PAYMENT_FAILED may be its own timeout). So the
// hash is looked up once: no payment of it at the node, or a failed one, and `failure`
// stands; a pending or settled one, and that is the outcome; a lookup that cannot answer
// leaves the payment in flight, for reconciliation. A pending one is handed to
// `followInFlight` (the backend's own way of following a payment to its end within the pay's
// deadline) when given, else it is in flight. A cancelled `outer` ends it silently.
void confirmFailure(LookupOnce lookupOnce, PaymentResult failure, CallHandle outer,
                    QString nodeName, std::function<void(PaymentResult)> finish,
                    std::function<void()> followInFlight = {});

} // namespace l402::node
