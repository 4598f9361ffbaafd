#pragma once

#include "core/policy/ApprovalBroker.h"
#include "core/service/WalletService.h"

#include <QDialog>
#include <QElapsedTimer>
#include <QList>
#include <QPointer>

class QComboBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;

namespace l402::ui {

// The question a spending rule asks: on top and focused, one request at a time with the
// others queued ("1 of 3"). It shows the site, the agent, the amount, the invoice's
// description and what the payment does to the budget, and counts down the time left; any
// interaction pauses the countdown (and the wallet's own timer) until the person has been
// idle a while. At zero the wallet denies. The answer can be remembered once, for an hour,
// until the wallet restarts, or always (always writes a budget rule).
class ApprovalPrompt : public QDialog {
    Q_OBJECT
public:
    static constexpr int kIdleResumeMs = 15'000;
    // After a request appears, Approve stays disabled this long, so a double click meant for
    // the previous one never approves a payment nobody has looked at.
    static constexpr int kApproveArmDelayMs = 600;

    explicit ApprovalPrompt(QWidget* parent = nullptr);

    void setService(service::WalletService* service);
    void enqueue(const policy::ApprovalRequest& request);
    // The wallet resolved it (answered elsewhere, timed out): drop it from the queue.
    void resolved(const QString& id);
    // Drops every request (the wallet was locked: none of them can be answered here now).
    void clear();
    // Shows the prompt again (from the Approvals page or the tray) when something waits.
    void present();
    int queued() const { return int(m_queue.size()); }
    QString currentId() const;
    // What the buttons do; public for tests and the tray.
    void answer(bool approve);
    void setRemember(policy::Remember remember);
    bool isPaused() const { return m_paused; }

Q_SIGNALS:
    void answered(const QString& id, bool approve, l402::policy::Remember remember);

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;
    void closeEvent(QCloseEvent* event) override;

private:
    void showCurrent();
    void tick();
    void interacted();
    int secondsLeft() const;

    QPointer<service::WalletService> m_service;
    QList<policy::ApprovalRequest> m_queue;
    QLabel* m_position = nullptr;
    QLabel* m_amount = nullptr;
    QLabel* m_site = nullptr;
    QLabel* m_agent = nullptr;
    QLabel* m_description = nullptr;
    QLabel* m_impact = nullptr;
    QLabel* m_heldTo = nullptr;
    QLabel* m_notes = nullptr;
    QLabel* m_countdownText = nullptr;
    QProgressBar* m_countdown = nullptr;
    QComboBox* m_remember = nullptr;
    QPushButton* m_approve = nullptr;
    QPushButton* m_deny = nullptr;
    QTimer* m_tick = nullptr;
    QTimer* m_idle = nullptr;
    QTimer* m_arm = nullptr;
    bool m_paused = false;
    qint64 m_remainingMs = 0; // while paused
    QElapsedTimer m_sinceResume;
    qint64 m_remainingAtResume = 0;
    qint64 m_totalMs = 60'000;
};

} // namespace l402::ui
