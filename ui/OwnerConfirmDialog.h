#pragma once

#include "core/control/ControlServer.h"

#include <QDialog>
#include <QElapsedTimer>
#include <QList>

class QLabel;
class QProgressBar;
class QPushButton;
class QTimer;

namespace l402::ui {

// Owner proof while the window runs (DESIGN §3.8): another process asked the wallet to do
// something only the owner may (loosen a rule, approve a payment, add an agent, ...). The
// dialog says what in plain words, the command as typed, and who asked: pid, executable and
// command line from the socket's peer credentials. Deny is the default button and the answer
// when nobody clicks before the countdown ends; Allow stays disabled for a moment after a
// request appears, so a click meant for something else never allows it. One at a time, the
// rest queued.
class OwnerConfirmDialog : public QDialog {
    Q_OBJECT
public:
    static constexpr int kAllowArmDelayMs = 600;

    explicit OwnerConfirmDialog(QWidget* parent = nullptr);

    void enqueue(const control::OwnerRequest& request, qint64 timeoutMs);
    // Answered or timed out in the wallet: drop it.
    void resolved(const QString& id);
    void clear();
    int queued() const { return int(m_queue.size()); }
    QString currentId() const;
    bool allowArmed() const;
    // What the buttons do; public for tests.
    void answer(bool allow);

Q_SIGNALS:
    void answered(const QString& id, bool allow);

protected:
    void closeEvent(QCloseEvent* event) override;

private:
    struct Waiting {
        control::OwnerRequest request;
        QElapsedTimer since;
        qint64 timeoutMs = 0;
    };
    void showCurrent();
    void tick();

    QList<Waiting> m_queue;
    QLabel* m_position = nullptr;
    QLabel* m_effect = nullptr;
    QLabel* m_command = nullptr;
    QLabel* m_process = nullptr;
    QLabel* m_commandLine = nullptr;
    QLabel* m_countdownText = nullptr;
    QProgressBar* m_countdown = nullptr;
    QPushButton* m_allow = nullptr;
    QPushButton* m_deny = nullptr;
    QTimer* m_tick = nullptr;
    QTimer* m_arm = nullptr;
};

} // namespace l402::ui
