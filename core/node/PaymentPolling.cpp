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

void confirmFailure(LookupOnce lookupOnce, PaymentResult failure, CallHandle outer,
                    QString nodeName, std::function<void(PaymentResult)> finish,
                    std::function<void()> followInFlight)
{
    lookupOnce([failure = std::move(failure), outer, nodeName = std::move(nodeName),
                finish = std::move(finish),
                followInFlight = std::move(followInFlight)](Result<PaymentResult> found) {
        if (outer.cancelled()) {
            return;
        }
        if (!found) {
            if (found.error().code == QLatin1String(node_error::kNotFound)) {
                finish(failure); // the node has no payment of this hash: nothing went out
                return;
            }
            finish(PaymentResult::inFlight(
                QStringLiteral("%1 said the payment failed (%2), but its record of the payment "
                               "could not be read: %3")
                    .arg(nodeName, failure.failureMessage, found.error().message)));
            return;
        }
        switch (found->outcome) {
        case PaymentResult::Outcome::Failed:
            finish(failure); // the node's record agrees; the pay call's reason is the precise one
            return;
        case PaymentResult::Outcome::Succeeded:
            finish(found.value());
            return;
        case PaymentResult::Outcome::InFlight:
            if (followInFlight) {
                followInFlight(); // the node is still paying it: follow it, never pay again
                return;
            }
            finish(PaymentResult::inFlight(
                QStringLiteral("%1 said the payment failed (%2), but it still holds a payment "
                               "of this hash in flight.")
                    .arg(nodeName, failure.failureMessage)));
            return;
        }
    });
}

} // namespace l402::node
