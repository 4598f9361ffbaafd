#include "core/node/PaymentPolling.h"

#include <QPointer>
#include <QTimer>

namespace l402::node {

void pollUntilFinal(LookupOnce lookupOnce, QObject* timerContext, QDeadlineTimer deadline,
                    std::chrono::milliseconds interval, CallHandle outer, QString nodeName,
                    std::function<void(PaymentResult)> finish)
{
    lookupOnce([lookupOnce, context = QPointer<QObject>(timerContext), deadline, interval, outer,
                nodeName, finish](Result<PaymentResult> tracked) {
        if (outer.cancelled()) {
            return;
        }
        if (tracked && tracked->outcome != PaymentResult::Outcome::InFlight) {
            finish(tracked.value());
            return;
        }
        if (deadline.hasExpired() || !context) {
            finish(PaymentResult::inFlight(
                tracked
                    ? QStringLiteral("%1 has the payment and it is still pending.").arg(nodeName)
                    : QStringLiteral("%1 has the payment but looking it up failed: %2")
                          .arg(nodeName, tracked.error().message)));
            return;
        }
        QTimer::singleShot(interval, context.data(),
                           [lookupOnce, context, deadline, interval, outer, nodeName, finish] {
                               pollUntilFinal(lookupOnce, context.data(), deadline, interval, outer,
                                              nodeName, finish);
                           });
    });
}

} // namespace l402::node
