#include "core/policy/ApprovalBroker.h"

#include "core/crypto/Digest.h"

namespace l402::policy {

QString rememberName(Remember remember)
{
    switch (remember) {
    case Remember::Once:
        return QStringLiteral("once");
    case Remember::OneHour:
        return QStringLiteral("1h");
    case Remember::Session:
        return QStringLiteral("session");
    case Remember::Always:
        return QStringLiteral("always");
    }
    return {};
}

std::optional<Remember> rememberFromName(QStringView name)
{
    for (const Remember remember :
         {Remember::Once, Remember::OneHour, Remember::Session, Remember::Always}) {
        if (name == rememberName(remember)) {
            return remember;
        }
    }
    return std::nullopt;
}

ApprovalBroker::ApprovalBroker(const Clock& clock, QObject* parent)
    : QObject(parent)
    , m_clock(clock)
{
}

QString ApprovalBroker::ask(ApprovalRequest request, Done done)
{
    // Short, unguessable ids: typed on the command line (`approve 3f9a1c2b`), never
    // enumerable by another local process that could reach the control socket.
    request.id = QString::fromLatin1(crypto::randomBytes(4).toHex());
    while (m_waiting.contains(request.id)) {
        request.id = QString::fromLatin1(crypto::randomBytes(4).toHex());
    }
    const QString id = request.id;
    if (!m_answerable) {
        done(ApprovalAnswer{ApprovalAnswer::Outcome::NobodyToAsk, Remember::Once});
        return id;
    }
    request.createdAt = m_clock.now();
    request.expiresAt = request.createdAt.addMSecs(m_timeout.count());
    auto waiting = std::make_shared<Waiting>();
    waiting->request = request;
    waiting->done = std::move(done);
    waiting->remaining = m_timeout;
    waiting->timer = std::make_unique<QTimer>();
    waiting->timer->setSingleShot(true);
    connect(waiting->timer.get(), &QTimer::timeout, this, [this, id] {
        finish(id, ApprovalAnswer{ApprovalAnswer::Outcome::TimedOut, Remember::Once});
    });
    waiting->timer->start(m_timeout);
    m_waiting.insert(id, waiting);
    m_order.append(id);
    Q_EMIT requested(request);
    return id;
}

bool ApprovalBroker::answer(const QString& id, bool approve, Remember remember)
{
    if (!m_waiting.contains(id)) {
        return false;
    }
    finish(id, ApprovalAnswer{approve ? ApprovalAnswer::Outcome::Approved
                                      : ApprovalAnswer::Outcome::Denied,
                              remember});
    return true;
}

void ApprovalBroker::pause(const QString& id)
{
    const auto waiting = m_waiting.value(id);
    if (waiting && waiting->timer->isActive()) {
        waiting->remaining = std::chrono::milliseconds(waiting->timer->remainingTime());
        waiting->timer->stop();
    }
}

void ApprovalBroker::resume(const QString& id)
{
    const auto waiting = m_waiting.value(id);
    if (waiting && !waiting->timer->isActive()) {
        waiting->request.expiresAt = m_clock.now().addMSecs(waiting->remaining.count());
        waiting->timer->start(waiting->remaining);
    }
}

bool ApprovalBroker::isPaused(const QString& id) const
{
    const auto waiting = m_waiting.value(id);
    return waiting && !waiting->timer->isActive();
}

QList<ApprovalRequest> ApprovalBroker::pending() const
{
    QList<ApprovalRequest> list;
    for (const QString& id : m_order) {
        list.append(m_waiting.value(id)->request);
    }
    return list;
}

std::optional<ApprovalRequest> ApprovalBroker::find(const QString& id) const
{
    const auto waiting = m_waiting.value(id);
    return waiting ? std::optional(waiting->request) : std::nullopt;
}

void ApprovalBroker::finish(const QString& id, ApprovalAnswer answer)
{
    const auto waiting = m_waiting.take(id);
    if (!waiting) {
        return;
    }
    m_order.removeOne(id);
    waiting->timer->stop();
    // This may run inside the timer's own timeout(): let the event loop delete it.
    waiting->timer.release()->deleteLater();
    Q_EMIT resolved(id, answer);
    waiting->done(answer);
}

} // namespace l402::policy
