#include "ui/OwnerConfirmDialog.h"

#include "ui/Widgets.h"

#include <QCloseEvent>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace l402::ui {
namespace {

QLabel* selectableLabel(const QString& name, QWidget* parent)
{
    auto* label = new QLabel(parent);
    label->setObjectName(name);
    label->setWordWrap(true);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

} // namespace

OwnerConfirmDialog::OwnerConfirmDialog(QWidget* parent)
    : QDialog(parent, Qt::Dialog | Qt::WindowStaysOnTopHint)
{
    setObjectName(QStringLiteral("ownerConfirm"));
    setWindowTitle(tr("Allow an owner command?"));
    setModal(false);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(20, 16, 20, 16);
    layout->setSpacing(10);
    // Wrapped labels (a long command line) get the height they need, never a clipped line.
    layout->setSizeConstraint(QLayout::SetMinimumSize);
    m_position = new QLabel(this);
    m_position->setObjectName(QStringLiteral("ownerPosition"));
    m_position->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_position);
    auto* lead = new QLabel(tr("A program asks the wallet to:"), this);
    layout->addWidget(lead);
    m_effect = selectableLabel(QStringLiteral("ownerEffect"), this);
    QFont big = m_effect->font();
    big.setPointSizeF(big.pointSizeF() * 1.35);
    big.setWeight(QFont::DemiBold);
    m_effect->setFont(big);
    m_effect->setMinimumWidth(440); // the dialog's width: the layout sets the minimum size
    layout->addWidget(m_effect);

    auto* form = new QFormLayout();
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_command = selectableLabel(QStringLiteral("ownerCommand"), this);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_command->setFont(mono);
    m_process = selectableLabel(QStringLiteral("ownerProcess"), this);
    m_commandLine = selectableLabel(QStringLiteral("ownerCommandLine"), this);
    m_commandLine->setFont(mono);
    form->addRow(tr("Command:"), m_command);
    form->addRow(tr("Asked by:"), m_process);
    form->addRow(tr("Its command line:"), m_commandLine);
    layout->addLayout(form);

    auto* warning =
        new QLabel(tr("Agents run as you and can send commands too. Allow only what you just did "
                      "yourself."),
                   this);
    warning->setObjectName(QStringLiteral("ownerWarning"));
    warning->setWordWrap(true);
    warning->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(warning);

    const Countdown countdown = countdownWidgets(this, QStringLiteral("owner"));
    m_countdown = countdown.bar;
    m_countdownText = countdown.text;
    layout->addWidget(m_countdown);
    layout->addWidget(m_countdownText);
    layout->addStretch(1); // a taller window grows here, not between the lines

    auto* buttons = new QHBoxLayout();
    buttons->addStretch(1);
    // Enter and a stray click never allow: the default answer is no.
    const DenyFirstButtons answers = denyFirstButtons(
        this, tr("Allow"), QStringLiteral("ownerAllow"), QStringLiteral("ownerDeny"),
        kAllowArmDelayMs, [this] { return !m_queue.isEmpty(); });
    m_deny = answers.deny;
    m_allow = answers.yes;
    m_arm = answers.arm;
    buttons->addWidget(m_deny);
    buttons->addWidget(m_allow);
    layout->addLayout(buttons);

    m_tick = new QTimer(this);
    m_tick->setInterval(250);
    connect(m_tick, &QTimer::timeout, this, &OwnerConfirmDialog::tick);
    connect(m_allow, &QPushButton::clicked, this, [this] { answer(true); });
    connect(m_deny, &QPushButton::clicked, this, [this] { answer(false); });
}

QString OwnerConfirmDialog::currentId() const
{
    return m_queue.isEmpty() ? QString() : m_queue.first().request.id;
}

bool OwnerConfirmDialog::allowArmed() const
{
    return m_allow->isEnabled();
}

void OwnerConfirmDialog::enqueue(const control::OwnerRequest& request, qint64 timeoutMs)
{
    for (const Waiting& waiting : std::as_const(m_queue)) {
        if (waiting.request.id == request.id) {
            return;
        }
    }
    Waiting waiting{request, {}, timeoutMs};
    waiting.since.start();
    m_queue.append(waiting);
    if (m_queue.size() == 1) {
        showCurrent();
    } else {
        m_position->setText(tr("1 of %1 waiting").arg(m_queue.size()));
        m_position->setVisible(true);
    }
    if (!isVisible()) {
        show();
    }
    raise();
    activateWindow();
}

void OwnerConfirmDialog::resolved(const QString& id)
{
    const bool wasCurrent = currentId() == id;
    m_queue.removeIf([&id](const Waiting& w) { return w.request.id == id; });
    if (m_queue.isEmpty()) {
        clear();
        return;
    }
    if (wasCurrent) {
        showCurrent();
    } else {
        m_position->setText(m_queue.size() > 1 ? tr("1 of %1 waiting").arg(m_queue.size())
                                               : QString());
        m_position->setVisible(m_queue.size() > 1);
    }
}

void OwnerConfirmDialog::clear()
{
    m_queue.clear();
    m_tick->stop();
    m_arm->stop();
    hide();
}

void OwnerConfirmDialog::answer(bool allow)
{
    if (m_queue.isEmpty() || (allow && !m_allow->isEnabled())) {
        return;
    }
    const QString id = currentId();
    Q_EMIT answered(id, allow);
    resolved(id);
}

void OwnerConfirmDialog::showCurrent()
{
    const control::OwnerRequest& request = m_queue.first().request;
    m_position->setText(m_queue.size() > 1 ? tr("1 of %1 waiting").arg(m_queue.size()) : QString());
    m_position->setVisible(m_queue.size() > 1);
    m_effect->setText(request.effect);
    m_command->setText(QStringLiteral("l402-wallet ") + request.command);
    const QString executable =
        request.caller.executable.isEmpty() ? tr("unknown program") : request.caller.executable;
    m_process->setText(request.caller.pid > 0
                           ? tr("process %1, %2").arg(request.caller.pid).arg(executable)
                           : tr("an unknown process"));
    m_commandLine->setText(request.caller.commandLine.isEmpty() ? tr("(not readable)")
                                                                : request.caller.commandLine);
    m_countdown->setRange(0, int(std::max<qint64>(1, m_queue.first().timeoutMs)));
    m_tick->start();
    tick();
    m_allow->setEnabled(false);
    m_arm->start();
    m_deny->setFocus();
}

void OwnerConfirmDialog::tick()
{
    if (m_queue.isEmpty()) {
        return;
    }
    const Waiting& current = m_queue.first();
    const qint64 left = std::max<qint64>(0, current.timeoutMs - current.since.elapsed());
    m_countdown->setValue(int(left));
    m_countdownText->setText(tr("Denied automatically in %1 s").arg((left + 999) / 1000));
    // The wallet's own timer denies at zero and says so (resolved); nothing to do here.
}

void OwnerConfirmDialog::closeEvent(QCloseEvent* event)
{
    // Closing the window is a no, not a way to make the question go away unanswered.
    if (!m_queue.isEmpty()) {
        answer(false);
        if (!m_queue.isEmpty()) {
            event->ignore();
            return;
        }
    }
    event->accept();
}

} // namespace l402::ui
