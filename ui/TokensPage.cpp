#include "ui/TokensPage.h"

#include "core/service/WalletService.h"
#include "core/util/Clock.h"
#include "ui/EmptyState.h"
#include "ui/TokensModel.h"
#include "ui/Widgets.h"

#include <QCoreApplication>
#include <QDateTimeEdit>
#include <QDialog>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPalette>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QSplitter>
#include <QStackedWidget>
#include <QTextDocument>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

#include <algorithm>

namespace l402::ui {

// --- TokenRow ---

TokenRow TokenRow::fromView(const service::TokenView& view)
{
    TokenRow row;
    row.id = view.token.id;
    row.origin = view.token.origin;
    row.agent = view.token.agent;
    row.scheme = view.token.scheme;
    row.services = view.token.services;
    row.amountMsat = view.token.amountMsat;
    row.createdAt = view.token.createdAt;
    row.expiresAt = view.token.expiresAt;
    row.status = view.effectiveStatus;
    row.caveatsInWords = view.caveatsInWords;
    row.caveats = view.caveats;
    row.macaroonBase64 = view.macaroonBase64;
    return row;
}

QString TokenRow::statusAt(qint64 now) const
{
    if (status == QLatin1String("active") && expiresAt && *expiresAt <= now) {
        return QStringLiteral("expired");
    }
    return status;
}

// --- TokensModel ---

namespace {

QString statusInWords(const QString& status)
{
    if (status == QLatin1String("active")) {
        return TokensModel::tr("active");
    }
    if (status == QLatin1String("expired")) {
        return TokensModel::tr("expired");
    }
    if (status == QLatin1String("rejected")) {
        return TokensModel::tr("rejected");
    }
    return status;
}

// Origins, agents and caveats come from sites and agents: a tooltip must not read them as
// rich text.
QString plainTooltip(const QString& text)
{
    return Qt::convertFromPlainText(text, Qt::WhiteSpaceNormal);
}

QString agentInWords(const QString& agent)
{
    return agent.isEmpty() || agent == QLatin1String("-") ? TokensModel::tr("the wallet itself")
                                                          : agent;
}

} // namespace

TokensModel::TokensModel(QObject* parent)
    : QAbstractTableModel(parent)
    , m_now(QDateTime::currentSecsSinceEpoch())
{
}

int TokensModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_tokens.size());
}

int TokensModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TokensModel::data(const QModelIndex& index, int role) const
{
    // The invalid index is a legitimate question (it has no data); a wrong valid one is a bug.
    if (!index.isValid() || !checkIndex(index, CheckIndexOption::ParentIsInvalid)) {
        return {};
    }
    const TokenRow& token = m_tokens.at(index.row());
    const QString status = token.statusAt(m_now);
    switch (role) {
    case Qt::DisplayRole:
        switch (index.column()) {
        case Site:
            return token.origin;
        case Services:
            return token.services.isEmpty() ? QStringLiteral("—")
                                            : token.services.join(QStringLiteral(", "));
        case Paid:
            return satText(token.amountMsat);
        case Status:
            return statusInWords(status);
        case Expires:
            return token.expiresAt ? relativeText(*token.expiresAt, m_now) : tr("no expiry");
        case Bought:
            return timeText(token.createdAt);
        }
        return {};
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Site:
        case Services:
            return plainTooltip(tr("%1\nBought by %2 (%3)")
                                    .arg(token.origin, agentInWords(token.agent), token.scheme));
        case Paid:
            return tr("%1, paid once for this token").arg(satText(token.amountMsat));
        case Status:
            if (status == QLatin1String("rejected")) {
                return tr("The site refused this token; the wallet no longer sends it.");
            }
            if (status == QLatin1String("expired")) {
                return tr("Past its expiry; the next request to the site buys a new token.");
            }
            return tr("Sent again with every request to this site until it expires.");
        case Expires:
            return token.expiresAt ? timeText(*token.expiresAt)
                                   : tr("The token carries no expiry caveat.");
        case Bought:
            return relativeText(token.createdAt, m_now);
        }
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Paid) {
            return int(Qt::AlignRight | Qt::AlignVCenter);
        }
        return {};
    case Qt::ForegroundRole:
        // Tokens that no longer work recede; the palette keeps this right in dark themes.
        if (status != QLatin1String("active")) {
            return QGuiApplication::palette().color(QPalette::PlaceholderText);
        }
        return {};
    case TokenIdRole:
        return token.id;
    case RawValueRole:
        switch (index.column()) {
        case Site:
            return token.origin;
        case Services:
            return token.services;
        case Paid:
            return token.amountMsat;
        case Status:
            return status;
        case Expires:
            return token.expiresAt ? QVariant(*token.expiresAt) : QVariant();
        case Bought:
            return token.createdAt;
        }
        return {};
    }
    return {};
}

QVariant TokensModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount) {
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        return int((section == Paid ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter);
    }
    if (role != Qt::DisplayRole) {
        return {};
    }
    switch (section) {
    case Site:
        return tr("Site");
    case Services:
        return tr("Services");
    case Paid:
        return tr("Paid (sat)");
    case Status:
        return tr("Status");
    case Expires:
        return tr("Expires");
    case Bought:
        return tr("Bought");
    }
    return {};
}

void TokensModel::setTokens(QList<TokenRow> tokens)
{
    // Grouped per site, newest first within a site.
    std::stable_sort(tokens.begin(), tokens.end(), [](const TokenRow& a, const TokenRow& b) {
        if (a.origin != b.origin) {
            return a.origin < b.origin;
        }
        if (a.createdAt != b.createdAt) {
            return a.createdAt > b.createdAt;
        }
        return a.id > b.id;
    });
    beginResetModel();
    m_tokens = std::move(tokens);
    endResetModel();
}

void TokensModel::setNow(qint64 secondsSinceEpoch)
{
    if (secondsSinceEpoch == m_now) {
        return;
    }
    m_now = secondsSinceEpoch;
    if (!m_tokens.isEmpty()) {
        const int last = int(m_tokens.size()) - 1;
        Q_EMIT dataChanged(index(0, Status), index(last, Expires));
        Q_EMIT dataChanged(index(0, Bought), index(last, Bought), {Qt::ToolTipRole});
    }
}

const TokenRow* TokensModel::tokenAt(int row) const
{
    return row >= 0 && row < m_tokens.size() ? &m_tokens.at(row) : nullptr;
}

int TokensModel::rowOf(qint64 tokenId) const
{
    for (qsizetype row = 0; row < m_tokens.size(); ++row) {
        if (m_tokens.at(row).id == tokenId) {
            return int(row);
        }
    }
    return -1;
}

// --- Helpers shared by the page and its dialog ---

namespace {

constexpr int kCountdownIntervalMs = 1000;
constexpr qint64 kDefaultAttenuatedLifetimeSeconds = 3600;

// Sites, agents and caveats fill these in: never read as rich text.
QLabel* mutedLabel(const QString& text, QWidget* parent)
{
    QLabel* label = pageExplanation(text, parent);
    label->setTextFormat(Qt::PlainText);
    return label;
}

QPlainTextEdit* secretText(QWidget* parent)
{
    auto* text = new QPlainTextEdit(parent);
    text->setReadOnly(true);
    useFixedFont(text);
    // Base64 has no spaces: break anywhere so the whole value stays in view.
    text->setWordWrapMode(QTextOption::WrapAnywhere);
    text->setTabChangesFocus(true);
    return text;
}

// --- AttenuateDialog ---

// Makes a narrower copy of a token's credential: a shorter expiry for each of its services
// and, optionally, fewer capabilities. Caveats are named as Aperture names them
// (`<service>_valid_until`, `<service>_capabilities`); the wallet's token is not touched.
class AttenuateDialog : public QDialog {
    Q_DECLARE_TR_FUNCTIONS(AttenuateDialog)
public:
    AttenuateDialog(service::WalletService* service, const TokenRow& token, qint64 now,
                    QWidget* parent)
        : QDialog(parent)
        , m_service(service)
        , m_tokenId(token.id)
        , m_services(token.services)
    {
        setObjectName(QStringLiteral("attenuateDialog"));
        setWindowTitle(tr("Attenuate token"));
        setMinimumWidth(480);
        auto* layout = new QVBoxLayout(this);
        m_pages = new QStackedWidget(this);
        layout->addWidget(m_pages);

        // Page 0: what to narrow.
        auto* form = new QWidget(m_pages);
        auto* formLayout = new QVBoxLayout(form);
        formLayout->setContentsMargins(0, 0, 0, 0);
        auto* intro = new QLabel(tr("Make a narrower credential for %1 to hand to someone "
                                    "else. Caveats can only take power away, never add it.")
                                     .arg(token.origin),
                                 form);
        intro->setTextFormat(Qt::PlainText);
        intro->setWordWrap(true);
        formLayout->addWidget(intro);

        auto* fields = new QFormLayout();
        m_expiry = new QDateTimeEdit(form);
        m_expiry->setObjectName(QStringLiteral("attenuateExpiry"));
        m_expiry->setCalendarPopup(true);
        m_expiry->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        const QDateTime earliest = QDateTime::fromSecsSinceEpoch(now);
        QDateTime preferred =
            QDateTime::fromSecsSinceEpoch(now + kDefaultAttenuatedLifetimeSeconds);
        if (token.expiresAt) {
            const QDateTime latest = QDateTime::fromSecsSinceEpoch(std::max(*token.expiresAt, now));
            m_expiry->setDateTimeRange(earliest, latest);
            preferred = std::min(preferred, latest);
        } else {
            m_expiry->setMinimumDateTime(earliest);
        }
        m_expiry->setDateTime(preferred);
        fields->addRow(tr("Valid until:"), m_expiry);

        m_capabilities = new QLineEdit(form);
        m_capabilities->setObjectName(QStringLiteral("attenuateCapabilities"));
        m_capabilities->setPlaceholderText(tr("everything the token allows"));
        fields->addRow(tr("Capabilities:"), m_capabilities);
        formLayout->addLayout(fields);

        QStringList current;
        for (const auto& [key, value] : token.caveats) {
            if (key.endsWith(QLatin1String("_capabilities"))) {
                current << QStringLiteral("%1=%2").arg(key, value);
            }
        }
        formLayout->addWidget(mutedLabel(
            current.isEmpty()
                ? tr("Leave capabilities empty to keep them as they are; separate names with "
                     "commas.")
                : tr("Leave capabilities empty to keep them as they are (%1); separate names "
                     "with commas.")
                      .arg(current.join(QStringLiteral("; "))),
            form));
        if (m_services.isEmpty()) {
            formLayout->addWidget(mutedLabel(tr("This token names no service, so the wallet "
                                                "cannot write Aperture caveats for it."),
                                             form));
        }
        m_error = mutedLabel(QString(), form);
        m_error->hide();
        formLayout->addWidget(m_error);
        formLayout->addStretch(1);

        auto* formButtons = new QDialogButtonBox(form);
        m_make = formButtons->addButton(tr("Make credential"), QDialogButtonBox::AcceptRole);
        m_make->setObjectName(QStringLiteral("makeAttenuated"));
        m_make->setEnabled(!m_services.isEmpty());
        formButtons->addButton(QDialogButtonBox::Cancel);
        formLayout->addWidget(formButtons);
        // The dialog stays open until the credential comes back, to show it.
        connect(m_make, &QPushButton::clicked, this, [this] { make(); });
        connect(formButtons, &QDialogButtonBox::rejected, this, &QDialog::reject);
        m_pages->addWidget(form);

        // Page 1: the narrower credential.
        auto* result = new QWidget(m_pages);
        auto* resultLayout = new QVBoxLayout(result);
        resultLayout->setContentsMargins(0, 0, 0, 0);
        auto* unchanged = new QLabel(tr("Hand this credential on instead of yours. The wallet's "
                                        "own token is unchanged and keeps working as before."),
                                     result);
        unchanged->setWordWrap(true);
        resultLayout->addWidget(unchanged);
        m_result = secretText(result);
        m_result->setObjectName(QStringLiteral("attenuatedCredential"));
        resultLayout->addWidget(m_result, 1);
        auto* resultButtons = new QDialogButtonBox(result);
        auto* copy = resultButtons->addButton(tr("Copy"), QDialogButtonBox::ActionRole);
        copy->setObjectName(QStringLiteral("copyAttenuated"));
        resultButtons->addButton(QDialogButtonBox::Close);
        connect(copy, &QPushButton::clicked, this, [this] { copySecret(m_result->toPlainText()); });
        connect(resultButtons, &QDialogButtonBox::rejected, this, &QDialog::accept);
        resultLayout->addWidget(resultButtons);
        m_pages->addWidget(result);
    }

    // The caveats the form asks for, as "key=value".
    QStringList caveats() const
    {
        const qint64 until = m_expiry->dateTime().toSecsSinceEpoch();
        static const QRegularExpression separators(QStringLiteral("[,\\s]+"));
        const QStringList capabilities =
            m_capabilities->text().split(separators, Qt::SkipEmptyParts);
        QStringList out;
        for (const QString& service : m_services) {
            out << QStringLiteral("%1_valid_until=%2").arg(service).arg(until);
        }
        if (!capabilities.isEmpty()) {
            for (const QString& service : m_services) {
                out << QStringLiteral("%1_capabilities=%2")
                           .arg(service, capabilities.join(QLatin1Char(',')));
            }
        }
        return out;
    }

private:
    void make()
    {
        if (!m_service || m_services.isEmpty()) {
            return;
        }
        m_make->setEnabled(false);
        m_error->hide();
        service::ask(
            m_service.data(), this,
            [id = m_tokenId, caveats = caveats()](service::WalletService& service) {
                return service.attenuatedCredential(id, caveats);
            },
            [this](Result<QString> credential) {
                m_make->setEnabled(true);
                if (!credential) {
                    m_error->setText(tr("The wallet could not make the credential: %1")
                                         .arg(credential.error().message));
                    m_error->show();
                    return;
                }
                m_result->setPlainText(*credential);
                m_pages->setCurrentIndex(1);
            });
    }

    QPointer<service::WalletService> m_service;
    qint64 m_tokenId = 0;
    QStringList m_services;
    QStackedWidget* m_pages = nullptr;
    QDateTimeEdit* m_expiry = nullptr;
    QLineEdit* m_capabilities = nullptr;
    QLabel* m_error = nullptr;
    QPushButton* m_make = nullptr;
    QPlainTextEdit* m_result = nullptr;
};

} // namespace

// --- TokensPage ---

TokensPage::TokensPage(QWidget* parent)
    : QWidget(parent)
    , m_clock(&SystemClock::instance())
{
    setObjectName(QStringLiteral("tokensPage"));
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 20, 24, 20);
    layout->addWidget(pageHeading(tr("Tokens"), this));
    layout->addWidget(pageExplanation(
        tr("Each token was paid for once. The wallet sends it again with every request to its "
           "site until it expires, so agents do not pay twice for the same access."),
        this));
    m_problem = problemLabel(QStringLiteral("tokensProblem"), this);
    layout->addWidget(m_problem);

    m_stack = new QStackedWidget(this);
    m_stack->addWidget(new EmptyState(QStringLiteral(":/icons/tokens.svg"),
                                      tr("No tokens bought yet"),
                                      tr("Each L402 token an agent buys is kept here, reused for "
                                         "later requests to the same site, and shown with its "
                                         "caveats."),
                                      m_stack));

    auto* splitter = new QSplitter(Qt::Horizontal, m_stack);
    splitter->setChildrenCollapsible(false);
    m_model = new TokensModel(this);
    m_view = rowList(m_model, TokensModel::Site, QStringLiteral("tokensView"), splitter);
    QHeaderView* header = m_view->header();
    // The countdown changes width every second: a fixed column keeps the table still.
    header->setSectionResizeMode(TokensModel::Expires, QHeaderView::Interactive);
    header->resizeSection(TokensModel::Expires,
                          fontMetrics().horizontalAdvance(tr("in 23 h 59 min")) + 24);
    splitter->addWidget(m_view);
    splitter->addWidget(buildDetail());
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    m_stack->addWidget(splitter);
    layout->addWidget(m_stack, 1);

    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &TokensPage::showSelected);

    m_countdown = new QTimer(this);
    m_countdown->setInterval(kCountdownIntervalMs);
    connect(m_countdown, &QTimer::timeout, this, &TokensPage::tick);

    showSelected();
}

QWidget* TokensPage::buildDetail()
{
    m_detailStack = new QStackedWidget(this);
    m_detailStack->setMinimumWidth(300);

    auto* hint =
        mutedLabel(tr("Select a token to see its caveats and its macaroon."), m_detailStack);
    hint->setAlignment(Qt::AlignCenter);
    m_detailStack->addWidget(hint);

    auto* detail = new QWidget(m_detailStack);
    auto* layout = new QVBoxLayout(detail);
    layout->setContentsMargins(12, 0, 0, 0);

    m_detailTitle = new QLabel(detail);
    m_detailTitle->setObjectName(QStringLiteral("tokenSite"));
    m_detailTitle->setTextFormat(Qt::PlainText);
    m_detailTitle->setWordWrap(true);
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont titleFont = m_detailTitle->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    titleFont.setWeight(QFont::DemiBold);
    m_detailTitle->setFont(titleFont);
    layout->addWidget(m_detailTitle);
    m_detailFacts = mutedLabel(QString(), detail);
    m_detailFacts->setObjectName(QStringLiteral("tokenFacts"));
    layout->addWidget(m_detailFacts);

    layout->addSpacing(8);
    layout->addWidget(sectionLabel(tr("Caveats"), detail));
    m_caveats = new QListWidget(detail);
    m_caveats->setObjectName(QStringLiteral("tokenCaveats"));
    m_caveats->setSelectionMode(QAbstractItemView::NoSelection);
    m_caveats->setFocusPolicy(Qt::NoFocus);
    m_caveats->setFrameShape(QFrame::NoFrame);
    m_caveats->setWordWrap(true);
    m_caveats->setTextElideMode(Qt::ElideNone);
    // Reads as text on the page, not as a box to click in.
    m_caveats->viewport()->setAutoFillBackground(false);
    layout->addWidget(m_caveats, 2);

    layout->addWidget(sectionLabel(tr("Macaroon"), detail));
    m_macaroon = secretText(detail);
    m_macaroon->setObjectName(QStringLiteral("tokenMacaroon"));
    m_macaroon->setToolTip(tr("The macaroon alone does not grant access: the credential also "
                              "needs the payment's preimage, which stays in the wallet."));
    layout->addWidget(m_macaroon, 3);

    auto* buttons = new QHBoxLayout();
    m_copyCredential = new QPushButton(tr("Copy credential…"), detail);
    m_copyCredential->setObjectName(QStringLiteral("copyCredential"));
    m_attenuate = new QPushButton(tr("Attenuate…"), detail);
    m_attenuate->setObjectName(QStringLiteral("attenuateToken"));
    m_attenuate->setToolTip(tr("Make a narrower credential to hand to someone else."));
    m_delete = new QPushButton(tr("Delete"), detail);
    m_delete->setObjectName(QStringLiteral("deleteToken"));
    buttons->addWidget(m_copyCredential);
    buttons->addWidget(m_attenuate);
    buttons->addStretch(1);
    buttons->addWidget(m_delete);
    layout->addLayout(buttons);
    m_notice = mutedLabel(QString(), detail);
    m_notice->setObjectName(QStringLiteral("tokenNotice"));
    layout->addWidget(m_notice);

    connect(m_copyCredential, &QPushButton::clicked, this, &TokensPage::confirmCopyCredential);
    connect(m_attenuate, &QPushButton::clicked, this, &TokensPage::attenuate);
    connect(m_delete, &QPushButton::clicked, this, &TokensPage::confirmDelete);

    m_detailStack->addWidget(detail);
    return m_detailStack;
}

void TokensPage::setService(service::WalletService* service)
{
    m_reads.reset(); // reads sent to a previous wallet never answer
    for (const QMetaObject::Connection& connection : std::as_const(m_connections)) {
        disconnect(connection);
    }
    m_connections.clear();
    m_service = service;
    if (service) {
        m_connections << connect(service, &service::WalletService::tokensChanged, this,
                                 &TokensPage::refresh);
        m_connections << connect(service, &service::WalletService::activityChanged, this,
                                 &TokensPage::refresh);
    }
    refresh();
}

void TokensPage::setClock(const Clock* clock)
{
    m_clock = clock ? clock : &SystemClock::instance();
    tick();
}

void TokensPage::refresh()
{
    if (!m_service) {
        return;
    }
    if (!m_reads.start(this)) {
        return;
    }
    service::ask(
        m_service.data(), this,
        [](service::WalletService& service) -> Result<QList<TokenRow>> {
            auto tokens = service.tokens();
            if (!tokens) {
                return tokens.error();
            }
            QList<TokenRow> rows;
            rows.reserve(tokens->size());
            for (const service::TokenView& view : std::as_const(*tokens)) {
                rows.append(TokenRow::fromView(view));
            }
            return rows;
        },
        [this, generation = m_reads.generation()](Result<QList<TokenRow>> rows) {
            bool again = false;
            if (!m_reads.finished(generation, again)) {
                return; // an answer from a wallet since replaced
            }
            if (!rows) {
                showProblem(tr("Could not load the tokens: %1").arg(rows.error().message));
            } else {
                showProblem({});
                const TokenRow* selected = selectedToken();
                const qint64 selectedId = selected ? selected->id : 0;
                m_model->setNow(m_clock->nowSeconds());
                m_model->setTokens(std::move(*rows));
                m_stack->setCurrentIndex(m_model->rowCount() == 0 ? 0 : 1);
                const int row = selectedId ? m_model->rowOf(selectedId) : -1;
                if (row >= 0) {
                    m_view->setCurrentIndex(m_model->index(row, 0));
                }
                showSelected();
            }
            if (again) {
                refresh();
            }
        });
}

void TokensPage::showEvent(QShowEvent* event)
{
    QWidget::showEvent(event);
    tick();
    m_countdown->start();
    if (m_reads.wantedWhenShown()) {
        refresh();
    }
}

void TokensPage::hideEvent(QHideEvent* event)
{
    QWidget::hideEvent(event);
    m_countdown->stop();
}

void TokensPage::tick()
{
    m_model->setNow(m_clock->nowSeconds());
    showSelectedStatus();
}

const TokenRow* TokensPage::selectedToken() const
{
    const QModelIndex current = m_view->currentIndex();
    return current.isValid() ? m_model->tokenAt(current.row()) : nullptr;
}

void TokensPage::showSelected()
{
    m_notice->clear();
    const TokenRow* token = selectedToken();
    if (!token) {
        m_detailStack->setCurrentIndex(0);
        m_caveats->clear();
        m_macaroon->clear();
        showSelectedStatus();
        return;
    }
    m_detailStack->setCurrentIndex(1);
    m_detailTitle->setText(token->origin);
    m_caveats->clear();
    if (token->caveatsInWords.isEmpty()) {
        m_caveats->addItem(tr("No caveats: nothing limits this token but its site."));
    } else {
        m_caveats->addItems(token->caveatsInWords);
    }
    QStringList raw;
    for (const auto& [key, value] : token->caveats) {
        raw << QStringLiteral("%1=%2").arg(key, value);
    }
    m_caveats->setToolTip(
        raw.isEmpty()
            ? QString()
            : plainTooltip(tr("As written in the macaroon:\n%1").arg(raw.join(QLatin1Char('\n')))));
    m_macaroon->setPlainText(token->macaroonBase64);
    showSelectedStatus();
}

void TokensPage::showSelectedStatus()
{
    const TokenRow* token = selectedToken();
    if (!token) {
        m_copyCredential->setEnabled(false);
        m_attenuate->setEnabled(false);
        m_delete->setEnabled(false);
        return;
    }
    const qint64 now = m_model->now();
    const QString status = token->statusAt(now);
    QString state;
    if (status == QLatin1String("active")) {
        state = token->expiresAt
                    ? tr("Active, expires %1 (%2).")
                          .arg(relativeText(*token->expiresAt, now), timeText(*token->expiresAt))
                    : tr("Active, with no expiry.");
    } else if (status == QLatin1String("expired")) {
        state = token->expiresAt ? tr("Expired %1.").arg(relativeText(*token->expiresAt, now))
                                 : tr("Expired.");
    } else if (status == QLatin1String("rejected")) {
        state = tr("Rejected by the site: the wallet no longer sends it.");
    } else {
        state = status;
    }
    m_detailFacts->setText(tr("Bought by %1 on %2 for %3 (%4).\n%5")
                               .arg(agentInWords(token->agent), timeText(token->createdAt),
                                    satText(token->amountMsat), token->scheme, state));

    const bool active = status == QLatin1String("active");
    const bool connected = !m_service.isNull();
    m_copyCredential->setEnabled(active && connected);
    m_attenuate->setEnabled(active && connected && !token->services.isEmpty());
    m_delete->setEnabled(connected);
    m_copyCredential->setToolTip(active ? tr("Copy the Authorization value that grants this "
                                             "token's paid access.")
                                        : tr("Only an active token has a credential worth "
                                             "copying."));
}

void TokensPage::showProblem(const QString& message)
{
    m_problem->setText(message);
    m_problem->setVisible(!message.isEmpty());
}

void TokensPage::confirmCopyCredential()
{
    const TokenRow* token = selectedToken();
    if (!token || !m_service) {
        return;
    }
    const qint64 id = token->id;
    const QString until =
        token->expiresAt
            ? tr("It works until %1 (%2).")
                  .arg(timeText(*token->expiresAt), relativeText(*token->expiresAt, m_model->now()))
            : tr("It carries no expiry: it works until the site stops accepting it.");
    askToConfirm(this, QMessageBox::Warning, QStringLiteral("copyCredentialWarning"),
                 tr("Copy credential"),
                 tr("Whoever has this credential can use the paid access to %1 until it "
                    "expires, without asking you.")
                     .arg(token->origin),
                 QString(until % QLatin1Char(' ') %
                         tr("Paste it only where it is needed; Attenuate… makes a narrower "
                            "one to hand on.")),
                 tr("Copy credential"), [this, id] { copyCredential(id); });
}

void TokensPage::copyCredential(qint64 tokenId)
{
    if (!m_service) {
        return;
    }
    service::ask(
        m_service.data(), this,
        [tokenId](service::WalletService& service) { return service.credential(tokenId); },
        [this](Result<QString> credential) {
            if (!credential) {
                showProblem(
                    tr("Could not copy the credential: %1").arg(credential.error().message));
                return;
            }
            copySecret(*credential);
            m_notice->setText(tr("The credential is on the clipboard."));
        });
}

void TokensPage::attenuate()
{
    const TokenRow* token = selectedToken();
    if (!token || !m_service) {
        return;
    }
    auto* dialog = new AttenuateDialog(m_service.data(), *token, m_model->now(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void TokensPage::confirmDelete()
{
    const TokenRow* token = selectedToken();
    if (!token || !m_service) {
        return;
    }
    const qint64 id = token->id;
    askToConfirm(
        this, QMessageBox::Question, QStringLiteral("deleteTokenQuestion"), tr("Delete token"),
        tr("Delete this token for %1?").arg(token->origin),
        tr("The wallet forgets it at once. The next request to the site pays for a "
           "new token."),
        tr("Delete"), [this, id] {
            if (!m_service) {
                return;
            }
            service::ask(
                m_service.data(), this,
                [id](service::WalletService& service) { return service.removeToken(id); },
                [this](Status removed) {
                    if (!removed) {
                        showProblem(
                            tr("Could not delete the token: %1").arg(removed.error().message));
                    }
                    refresh();
                });
        });
}

} // namespace l402::ui
