#pragma once

#include "core/util/Clock.h"

#include <QDateTime>
#include <QHash>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

namespace l402::policy {

// How long an answer holds (DESIGN §4 `approve --remember`).
enum class Remember { Once, OneHour, Session, Always };
QString rememberName(Remember remember); // once|1h|session|always
std::optional<Remember> rememberFromName(QStringView name);

struct ApprovalRequest {
    QString id; // assigned by the broker
    QString origin;
    QString agent;
    int64_t amountMsat = 0;
    QString description;  // the invoice's description
    QString budgetImpact; // "120 of 1,000 sat today"
    // Every rule the payment is held to, with this payment counted:
    // `"*" (agent mallory): auto, 20 of 20 sat today` (DESIGN §3.7).
    QStringList heldTo;
    // Why it is asked besides the rule, shown first and as a warning: a price spike with
    // both prices, a site the drain guard paused.
    QStringList notes;
    QDateTime createdAt;
    QDateTime expiresAt;
};

struct ApprovalAnswer {
    enum class Outcome { Approved, Denied, TimedOut, NobodyToAsk };
    Outcome outcome = Outcome::Denied;
    Remember remember = Remember::Once;
};

// Holds payments waiting for a person. The GUI or the CLI (through the control socket) answers
// with answer(); no answer within the timeout is a deny (DESIGN §3.5), and with nobody able to
// answer (no GUI, no CLI attached to `serve`) the request is denied at once. Lives on one
// thread; requests are answered in any order.
class ApprovalBroker : public QObject {
    Q_OBJECT
public:
    using Done = std::function<void(const ApprovalAnswer&)>;

    explicit ApprovalBroker(const Clock& clock, QObject* parent = nullptr);

    void setTimeout(std::chrono::milliseconds timeout) { m_timeout = timeout; }
    std::chrono::milliseconds timeout() const { return m_timeout; }
    // Whether someone can answer: the GUI sets this while it runs, `serve` while it takes
    // approvals from the CLI.
    void setAnswerable(bool answerable) { m_answerable = answerable; }
    bool answerable() const { return m_answerable; }

    // Queues the request and returns its id; `done` is called exactly once.
    QString ask(ApprovalRequest request, Done done);
    // false when no such request is waiting (already answered, timed out, unknown id).
    bool answer(const QString& id, bool approve, Remember remember = Remember::Once);
    // Stops the countdown of a request while someone is looking at it (the prompt pauses on
    // interaction); resume() restarts it with the time that was left.
    void pause(const QString& id);
    void resume(const QString& id);
    bool isPaused(const QString& id) const;

    QList<ApprovalRequest> pending() const;
    std::optional<ApprovalRequest> find(const QString& id) const;

Q_SIGNALS:
    void requested(const l402::policy::ApprovalRequest& request);
    void resolved(const QString& id, const l402::policy::ApprovalAnswer& answer);

private:
    struct Waiting {
        ApprovalRequest request;
        Done done;
        std::unique_ptr<QTimer> timer;
        std::chrono::milliseconds remaining{0};
    };
    void finish(const QString& id, ApprovalAnswer answer);

    const Clock& m_clock;
    std::chrono::milliseconds m_timeout{60'000};
    bool m_answerable = false;
    QList<QString> m_order;
    QHash<QString, std::shared_ptr<Waiting>> m_waiting;
};

} // namespace l402::policy
