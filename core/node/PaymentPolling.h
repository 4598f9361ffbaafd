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

} // namespace l402::node
