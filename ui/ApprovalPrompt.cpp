#include "ui/ApprovalPrompt.h"

#include "ui/Widgets.h"

#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace l402::ui {

ApprovalPrompt::ApprovalPrompt(QWidget* parent)
    : QDialog(parent, Qt::Dialog | Qt::WindowStaysOnTopHint)
{
    setObjectName(QStringLiteral("approvalPrompt"));
    setWindowTitle(tr("Approve a payment?"));
    setModal(false);
    setMinimumWidth(440);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(20, 16, 20, 16);
    m_position = new QLabel(this);
    m_position->setObjectName(QStringLiteral("approvalPosition"));
    m_position->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_position);
    m_amount = new QLabel(this);
    m_amount->setObjectName(QStringLiteral("approvalAmount"));
    QFont big = m_amount->font();
    big.setPointSizeF(big.pointSizeF() * 1.8);
    big.setWeight(QFont::DemiBold);
    m_amount->setFont(big);
    layout->addWidget(m_amount);
    // A price spike or a paused site: said before anything else, in the warning colour.
    m_notes = new QLabel(this);
    m_notes->setObjectName(QStringLiteral("approvalNotes"));
    m_notes->setWordWrap(true);
    m_notes->setTextFormat(Qt::PlainText);
    QFont noteFont = m_notes->font();
    noteFont.setWeight(QFont::DemiBold);
    m_notes->setFont(noteFont);
    setTextColour(m_notes, warningColour(palette()));
    m_notes->hide();
    layout->addWidget(m_notes);

    auto* form = new QFormLayout();
    m_site = new QLabel(this);
    m_site->setObjectName(QStringLiteral("approvalSite"));
    m_site->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_agent = new QLabel(this);
    m_agent->setObjectName(QStringLiteral("approvalAgent"));
    m_description = new QLabel(this);
    m_description->setObjectName(QStringLiteral("approvalDescription"));
    m_description->setWordWrap(true);
    m_description->setTextFormat(Qt::PlainText);
    m_impact = new QLabel(this);
    m_impact->setObjectName(QStringLiteral("approvalImpact"));
    m_impact->setWordWrap(true);
    form->addRow(tr("Site:"), m_site);
    form->addRow(tr("Agent:"), m_agent);
    form->addRow(tr("For:"), m_description);
    form->addRow(tr("Budget:"), m_impact);
    // Every rule that applies, so the person sees what else holds the payment.
    m_heldTo = new QLabel(this);
    m_heldTo->setObjectName(QStringLiteral("approvalHeldTo"));
    m_heldTo->setWordWrap(true);
    m_heldTo->setTextFormat(Qt::PlainText);
    m_heldTo->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(tr("Held to:"), m_heldTo);
    layout->addLayout(form);

    const Countdown countdown = countdownWidgets(this, QStringLiteral("approval"));
    m_countdown = countdown.bar;
    m_countdownText = countdown.text;
    layout->addWidget(m_countdown);
    layout->addWidget(m_countdownText);

    auto* buttons = new QHBoxLayout();
    buttons->addWidget(new QLabel(tr("Remember:"), this));
    m_remember = new QComboBox(this);
    m_remember->setObjectName(QStringLiteral("approvalRemember"));
    m_remember->addItem(tr("Just this once"), int(policy::Remember::Once));
    m_remember->addItem(tr("For 1 hour"), int(policy::Remember::OneHour));
    m_remember->addItem(tr("Until the wallet restarts"), int(policy::Remember::Session));
    m_remember->addItem(tr("Always (adds a budget rule)"), int(policy::Remember::Always));
    buttons->addWidget(m_remember, 1);
    // Enter never pays by accident: the default answer is no.
    const DenyFirstButtons answers = denyFirstButtons(
        this, tr("Approve"), QStringLiteral("approvalApprove"), QStringLiteral("approvalDeny"),
        kApproveArmDelayMs, [this] { return !m_queue.isEmpty(); });
    m_deny = answers.deny;
    m_approve = answers.yes;
    m_arm = answers.arm;
    buttons->addWidget(m_deny);
    buttons->addWidget(m_approve);
    layout->addLayout(buttons);

    m_tick = new QTimer(this);
    m_tick->setInterval(250);
    connect(m_tick, &QTimer::timeout, this, &ApprovalPrompt::tick);
    m_idle = new QTimer(this);
    m_idle->setSingleShot(true);
    m_idle->setInterval(kIdleResumeMs);
    connect(m_idle, &QTimer::timeout, this, [this] {
        if (m_paused && !m_queue.isEmpty()) {
            m_paused = false;
            m_remainingAtResume = m_remainingMs;
            m_sinceResume.start();
            if (m_service) {
                const QString id = currentId();
                QMetaObject::invokeMethod(m_service.data(), [service = m_service, id] {
                    if (service) {
                        service->resumeApproval(id);
                    }
                });
            }
            tick();
        }
    });
    connect(m_approve, &QPushButton::clicked, this, [this] { answer(true); });
    connect(m_deny, &QPushButton::clicked, this, [this] { answer(false); });
    connect(m_remember, &QComboBox::activated, this, [this] { interacted(); });
    for (QWidget* widget : {static_cast<QWidget*>(this), static_cast<QWidget*>(m_remember),
                            static_cast<QWidget*>(m_description)}) {
        widget->installEventFilter(this);
    }
}

void ApprovalPrompt::setService(service::WalletService* service)
{
    m_service = service;
}

QString ApprovalPrompt::currentId() const
{
    return m_queue.isEmpty() ? QString() : m_queue.first().id;
}

void ApprovalPrompt::enqueue(const policy::ApprovalRequest& request)
{
    for (const policy::ApprovalRequest& queued : std::as_const(m_queue)) {
        if (queued.id == request.id) {
            return;
        }
    }
    m_queue.append(request);
    if (m_queue.size() == 1) {
        showCurrent();
    } else {
        m_position->setText(tr("1 of %1 waiting").arg(m_queue.size()));
    }
    if (!isVisible()) {
        show();
    }
    raise();
    activateWindow();
}

void ApprovalPrompt::resolved(const QString& id)
{
    const bool wasCurrent = currentId() == id;
    m_queue.removeIf([&id](const policy::ApprovalRequest& r) { return r.id == id; });
    if (m_queue.isEmpty()) {
        m_tick->stop();
        m_idle->stop();
        hide();
        return;
    }
    if (wasCurrent) {
        showCurrent();
    } else {
        m_position->setText(m_queue.size() > 1 ? tr("1 of %1 waiting").arg(m_queue.size())
                                               : QString());
    }
}

void ApprovalPrompt::clear()
{
    m_queue.clear();
    m_tick->stop();
    m_idle->stop();
    m_paused = false;
    hide();
}

void ApprovalPrompt::present()
{
    if (m_queue.isEmpty()) {
        return;
    }
    m_tick->start();
    tick();
    show();
    raise();
    activateWindow();
}

void ApprovalPrompt::showCurrent()
{
    const policy::ApprovalRequest& request = m_queue.first();
    m_position->setText(m_queue.size() > 1 ? tr("1 of %1 waiting").arg(m_queue.size()) : QString());
    m_amount->setText(satText(request.amountMsat));
    m_site->setText(request.origin);
    m_agent->setText(request.agent.isEmpty() ? tr("the wallet's own fetch") : request.agent);
    m_description->setText(request.description.isEmpty() ? tr("(no description)")
                                                         : request.description);
    m_impact->setText(request.budgetImpact);
    m_heldTo->setText(request.heldTo.join(u'\n'));
    m_notes->setText(request.notes.join(u'\n'));
    m_notes->setVisible(!request.notes.isEmpty());
    m_remember->setCurrentIndex(0);
    m_paused = false;
    m_idle->stop();
    m_totalMs = std::max<qint64>(1000, request.createdAt.msecsTo(request.expiresAt));
    m_remainingAtResume =
        std::max<qint64>(0, QDateTime::currentDateTimeUtc().msecsTo(request.expiresAt));
    m_sinceResume.start();
    m_countdown->setRange(0, int(m_totalMs));
    m_tick->start();
    tick();
    m_approve->setEnabled(false);
    m_arm->start();
    m_deny->setFocus();
}

int ApprovalPrompt::secondsLeft() const
{
    const qint64 left = m_paused
                            ? m_remainingMs
                            : std::max<qint64>(0, m_remainingAtResume - m_sinceResume.elapsed());
    return int((left + 999) / 1000);
}

void ApprovalPrompt::tick()
{
    if (m_queue.isEmpty()) {
        return;
    }
    const qint64 left = m_paused
                            ? m_remainingMs
                            : std::max<qint64>(0, m_remainingAtResume - m_sinceResume.elapsed());
    m_countdown->setValue(int(left));
    m_countdownText->setText(m_paused ? tr("Paused while you decide — %1 s left").arg(secondsLeft())
                                      : tr("Denied automatically in %1 s").arg(secondsLeft()));
    // The wallet's timer denies at zero and says so (approvalResolved); nothing to do here.
}

void ApprovalPrompt::interacted()
{
    if (m_queue.isEmpty()) {
        return;
    }
    m_idle->start();
    if (m_paused) {
        return;
    }
    m_remainingMs = std::max<qint64>(0, m_remainingAtResume - m_sinceResume.elapsed());
    m_paused = true;
    if (m_service) {
        const QString id = currentId();
        QMetaObject::invokeMethod(m_service.data(), [service = m_service, id] {
            if (service) {
                service->pauseApproval(id);
            }
        });
    }
    tick();
}

bool ApprovalPrompt::eventFilter(QObject* watched, QEvent* event)
{
    switch (event->type()) {
    case QEvent::MouseButtonPress:
    case QEvent::KeyPress:
    case QEvent::Wheel:
        interacted();
        break;
    default:
        break;
    }
    return QDialog::eventFilter(watched, event);
}

void ApprovalPrompt::closeEvent(QCloseEvent* event)
{
    // Closing the window is not an answer: the requests stay in the Approvals page and the
    // wallet's timer still runs.
    m_idle->stop();
    if (m_paused && m_service) {
        m_paused = false;
        m_remainingAtResume = m_remainingMs; // the countdown goes on from where it stopped
        m_sinceResume.start();
        const QString id = currentId();
        QMetaObject::invokeMethod(m_service.data(), [service = m_service, id] {
            if (service) {
                service->resumeApproval(id);
            }
        });
    }
    m_tick->stop();
    event->accept();
}

void ApprovalPrompt::setRemember(policy::Remember remember)
{
    m_remember->setCurrentIndex(std::max(0, m_remember->findData(int(remember))));
}

void ApprovalPrompt::answer(bool approve)
{
    if (m_queue.isEmpty() || (approve && !m_approve->isEnabled() && isVisible())) {
        return;
    }
    const QString id = currentId();
    const auto remember = static_cast<policy::Remember>(m_remember->currentData().toInt());
    if (m_service) {
        QMetaObject::invokeMethod(m_service.data(), [service = m_service, id, approve, remember] {
            if (service) {
                service->answerApproval(id, approve, remember);
            }
        });
    }
    Q_EMIT answered(id, approve, remember);
    resolved(id);
}

} // namespace l402::ui
