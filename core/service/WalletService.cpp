#include "core/service/WalletService.h"

#include "core/protocol/DecodeReport.h"
#include "core/protocol/Macaroon.h"
#include "core/proxy/LocalCa.h"
#include "core/store/DataDirectory.h"
#include "core/store/SecretStore.h"
#include "core/store/Settings.h"
#include "core/store/WalletKey.h"
#include "core/util/Clock.h"

#include <QJsonDocument>
#include <QSaveFile>
#include <QTimeZone>
#include <QTimer>

namespace l402::service {
namespace {

// One WHERE clause for count, page and export, with its values bound in order.
struct Where {
    QByteArray sql;
    QList<std::variant<qint64, QString>> values;

    void bindTo(store::Statement& statement, int first = 1) const
    {
        int index = first;
        for (const auto& value : values) {
            if (std::holds_alternative<qint64>(value)) {
                statement.bind(index++, int64_t(std::get<qint64>(value)));
            } else {
                statement.bind(index++, std::get<QString>(value));
            }
        }
    }
};

QString likePattern(const QString& text)
{
    QString escaped = text;
    escaped.replace(u'\\', QStringLiteral("\\\\"))
        .replace(u'%', QStringLiteral("\\%"))
        .replace(u'_', QStringLiteral("\\_"));
    return u'%' + escaped + u'%';
}

Where whereOf(const ActivityFilter& filter)
{
    Where where;
    QList<QByteArray> parts;
    if (!filter.site.isEmpty()) {
        parts << "e.origin = ?";
        where.values << filter.site;
    }
    if (filter.agent == QLatin1String("-")) {
        parts << "ifnull(e.agent, '') = ''";
    } else if (!filter.agent.isEmpty()) {
        parts << "e.agent = ?";
        where.values << filter.agent;
    }
    if (!filter.status.isEmpty()) {
        parts << "e.kind = ?";
        where.values << filter.status;
    }
    if (filter.from) {
        parts << "e.at >= ?";
        where.values << *filter.from;
    }
    if (filter.to) {
        parts << "e.at < ?";
        where.values << *filter.to;
    }
    if (!filter.text.trimmed().isEmpty()) {
        parts << "(e.origin LIKE ?1x ESCAPE '\\' OR e.agent LIKE ?1x ESCAPE '\\' OR "
                 "e.code LIKE ?1x ESCAPE '\\' OR e.message LIKE ?1x ESCAPE '\\')";
        const QString pattern = likePattern(filter.text.trimmed());
        for (int i = 0; i < 4; ++i) {
            where.values << pattern;
        }
    }
    QByteArray joined;
    for (const QByteArray& part : parts) {
        joined += (joined.isEmpty() ? " WHERE " : " AND ") + part;
    }
    joined.replace("?1x", "?");
    where.sql = joined;
    return where;
}

const char* orderColumn(ActivityColumn column)
{
    switch (column) {
    case ActivityColumn::Time:
        return "e.at"; // with e.id after it, the order of the (kind|agent|origin,) at indexes
    case ActivityColumn::Site:
        return "e.origin";
    case ActivityColumn::Agent:
        return "e.agent";
    case ActivityColumn::Amount:
        return "e.amount_msat";
    case ActivityColumn::Fee:
        return "p.fee_msat";
    case ActivityColumn::Status:
        return "e.kind";
    case ActivityColumn::Reason:
        return "e.message";
    }
    return "e.id";
}

constexpr auto kActivitySelect =
    "SELECT e.id, e.at, e.kind, ifnull(e.origin, ''), ifnull(e.agent, ''), e.amount_msat, "
    "p.fee_msat, ifnull(e.code, ''), ifnull(e.message, ''), ifnull(e.payment_id, 0) "
    "FROM events e LEFT JOIN payments p ON p.id = e.payment_id";

ActivityRow rowOf(const store::Statement& statement)
{
    ActivityRow row;
    row.eventId = statement.integer(0);
    row.at = statement.integer(1);
    row.kind = statement.text(2);
    row.origin = statement.text(3);
    row.agent = statement.text(4);
    if (!statement.isNull(5)) {
        row.amountMsat = statement.integer(5);
    }
    if (!statement.isNull(6)) {
        row.feeMsat = statement.integer(6);
    }
    row.code = statement.text(7);
    row.message = statement.text(8);
    row.paymentId = statement.integer(9);
    return row;
}

qint64 startOfToday()
{
    return QDateTime(QDate::currentDate(), QTime(0, 0)).toSecsSinceEpoch();
}

QString csvField(const QString& text)
{
    if (!text.contains(u',') && !text.contains(u'"') && !text.contains(u'\n') &&
        !text.contains(u'\r')) {
        return text;
    }
    QString quoted = text;
    quoted.replace(u'"', QStringLiteral("\"\""));
    return u'"' + quoted + u'"';
}

template <typename T> Result<T> failed(const Error& error)
{
    return Result<T>(error);
}

} // namespace

WalletService::WalletService(store::WalletStore& wallet, payments::PaymentEngine& engine,
                             policy::ApprovalBroker& broker, store::SecretStore* keychain,
                             QObject* parent)
    : QObject(parent)
    , m_wallet(wallet)
    , m_keychain(keychain)
    , m_engine(engine)
    , m_broker(broker)
    , m_dataDir(wallet.dataDir())
{
    qRegisterMetaType<policy::ApprovalRequest>();
    connect(&engine, &payments::PaymentEngine::decisionRecorded, this,
            [this] { Q_EMIT activityChanged(); });
    connect(&engine, &payments::PaymentEngine::paymentChanged, this, [this] {
        Q_EMIT activityChanged();
        Q_EMIT tokensChanged();
    });
    qRegisterMetaType<SpendingView>();
    connect(&engine, &payments::PaymentEngine::anomalyDetected, this,
            &WalletService::anomalyDetected);
    connect(&engine, &payments::PaymentEngine::spendingSwitchChanged, this, [this] {
        Q_EMIT spendingChanged(spending());
        Q_EMIT activityChanged();
    });
    connect(&broker, &policy::ApprovalBroker::requested, this,
            [this](const policy::ApprovalRequest& request) { Q_EMIT approvalRequested(request); });
    connect(&broker, &policy::ApprovalBroker::resolved, this,
            [this](const QString& id, const policy::ApprovalAnswer& answer) {
                Q_EMIT approvalResolved(id, answer.outcome ==
                                                policy::ApprovalAnswer::Outcome::Approved);
            });
}

WalletService::~WalletService() = default;

SpendingView WalletService::spending() const
{
    const policy::SpendingState& state = m_engine.spendingSwitch().state();
    return SpendingView{state.walletPaused, state.walletPausedAt, state.pausedAgents.keys()};
}

Result<SpendingView> WalletService::pauseAll()
{
    if (auto changed = m_engine.spendingSwitch().pauseAll(); !changed) {
        return Result<SpendingView>(changed.error());
    }
    return spending();
}

Result<SpendingView> WalletService::resumeAll()
{
    if (auto changed = m_engine.spendingSwitch().resumeAll(); !changed) {
        return Result<SpendingView>(changed.error());
    }
    return spending();
}

Result<SpendingView> WalletService::setAgentPaused(const QString& name, bool paused)
{
    auto changed = paused ? m_engine.spendingSwitch().pauseAgent(name)
                          : m_engine.spendingSwitch().resumeAgent(name);
    if (!changed) {
        return Result<SpendingView>(changed.error());
    }
    return spending();
}

void WalletService::setProxyPort(quint16 port)
{
    m_proxyPort = port;
    Q_EMIT proxyPortChanged(port);
}

// --- Activity ---

Result<qint64> WalletService::activityCount(const ActivityFilter& filter)
{
    const Where where = whereOf(filter);
    const QByteArray sql = "SELECT count(*) FROM events e" + where.sql;
    auto statement = m_wallet.database().prepare(sql.constData());
    if (!statement) {
        return statement.error();
    }
    where.bindTo(*statement);
    auto row = statement->step();
    if (!row) {
        return row.error();
    }
    return qint64(statement->integer(0));
}

Result<QList<ActivityRow>> WalletService::activityPage(const ActivityFilter& filter,
                                                       const ActivitySort& sort, qint64 offset,
                                                       int limit)
{
    const Where where = whereOf(filter);
    const char* direction = sort.descending ? " DESC" : " ASC";
    const QByteArray order =
        QByteArray(" ORDER BY ") + orderColumn(sort.column) + direction + ", e.id" + direction;
    // The page's ids first, then its rows. SQLite builds every row it skips for an OFFSET, so
    // the skipping is done on the index alone (events_by_time, _by_kind, _by_agent,
    // _by_origin all end in the row id); the join and the columns only for the 200 shown.
    // Without that, a page deep in a million-row history took seconds.
    const QByteArray ids =
        "SELECT e.id FROM events e" +
        (sort.column == ActivityColumn::Fee ? QByteArray(" LEFT JOIN payments p ON p.id = "
                                                         "e.payment_id")
                                            : QByteArray()) +
        where.sql + order + " LIMIT ? OFFSET ?";
    const QByteArray sql = kActivitySelect + QByteArray(" WHERE e.id IN (") + ids + ")" + order;
    auto statement = m_wallet.database().prepare(sql.constData());
    if (!statement) {
        return statement.error();
    }
    where.bindTo(*statement);
    statement->bind(int(where.values.size()) + 1, int64_t(limit))
        .bind(int(where.values.size()) + 2, int64_t(offset));
    QList<ActivityRow> rows;
    rows.reserve(limit);
    Result<bool> row = statement->step();
    for (; row && row.value(); row = statement->step()) {
        rows.append(rowOf(*statement));
    }
    if (!row) {
        return row.error(); // never a partial page that looks complete
    }
    return rows;
}

Result<ActivityDetail> WalletService::activityDetail(qint64 eventId)
{
    auto statement = m_wallet.database().prepare(
        QByteArray(QByteArray(kActivitySelect) + " WHERE e.id = ?").constData());
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, int64_t(eventId));
    auto found = statement->step();
    if (!found) {
        return found.error();
    }
    if (!found.value()) {
        return Error{QStringLiteral("not_found"), tr("That entry is no longer in the history.")};
    }
    ActivityDetail detail;
    detail.row = rowOf(*statement);
    if (detail.row.paymentId == 0) {
        return detail;
    }
    auto payment = m_wallet.ledger().find(detail.row.paymentId);
    if (payment && payment.value()) {
        const store::PaymentRecord& record = *payment.value();
        detail.paymentHash = QString::fromLatin1(record.payment.paymentHash.toHex());
        detail.paymentStatus = store::paymentStatusName(record.status);
        detail.invoice = record.payment.invoice;
        if (auto decoded = protocol::decodeAnything(record.payment.invoice)) {
            detail.invoiceReport = protocol::describeForHumans(decoded->first, decoded->second);
        }
    }
    payments::TokenStore tokens(m_wallet.database(), SystemClock::instance());
    if (auto token = tokens.forPayment(detail.row.paymentId); token && token.value()) {
        detail.tokenId = token.value()->id;
    }
    return detail;
}

namespace {

// The distinct values of an indexed events column, one index seek per value (a recursive
// walk: next = the smallest value above the last), instead of reading the whole index of a
// long history.
Result<QStringList> distinctEvents(store::Database& database, const char* column)
{
    const QByteArray sql = QByteArray("WITH RECURSIVE v(x) AS (SELECT MIN(") + column +
                           ") FROM events WHERE " + column + " > '' UNION ALL SELECT (SELECT MIN(" +
                           column + ") FROM events WHERE " + column +
                           " > v.x) FROM v WHERE v.x IS NOT NULL) SELECT x FROM v WHERE x IS NOT "
                           "NULL";
    auto statement = database.prepare(sql.constData());
    if (!statement) {
        return statement.error();
    }
    QStringList out;
    Result<bool> row = statement->step();
    for (; row && row.value(); row = statement->step()) {
        out << statement->text(0);
    }
    if (!row) {
        return row.error();
    }
    return out;
}

} // namespace

// The distinct values of an events column, plus those of a small table (`extra`), sorted.
Result<QStringList> WalletService::distinctWith(const char* column, const char* extra)
{
    auto seen = distinctEvents(m_wallet.database(), column);
    if (!seen) {
        return seen;
    }
    auto statement = m_wallet.database().prepare(extra);
    if (!statement) {
        return statement.error();
    }
    QStringList out = seen.value();
    for (auto row = statement->step(); row && row.value(); row = statement->step()) {
        if (!out.contains(statement->text(0))) {
            out << statement->text(0);
        }
    }
    out.sort();
    return out;
}

Result<QStringList> WalletService::sites()
{
    return distinctWith("origin", "SELECT DISTINCT origin FROM tokens");
}

Result<QStringList> WalletService::agentNames()
{
    return distinctWith("agent", "SELECT name FROM agents WHERE revoked_at IS NULL");
}

Result<Overview> WalletService::overview()
{
    Overview overview;
    const qint64 today = startOfToday();
    const qint64 month =
        QDateTime(QDate(QDate::currentDate().year(), QDate::currentDate().month(), 1), QTime(0, 0))
            .toSecsSinceEpoch();
    auto spent = m_wallet.database().prepare(
        "SELECT ifnull(SUM(CASE WHEN created_at >= ?1 THEN amount_msat + ifnull(fee_msat, 0) END), "
        "0), ifnull(SUM(amount_msat + ifnull(fee_msat, 0)), 0), "
        "count(CASE WHEN created_at >= ?1 THEN 1 END) FROM payments "
        "WHERE status = 'succeeded' AND created_at >= ?2");
    if (!spent) {
        return spent.error();
    }
    spent->bind(1, int64_t(today)).bind(2, int64_t(std::min(today, month)));
    if (auto row = spent->step(); row && row.value()) {
        overview.spentTodayMsat = spent->integer(0);
        overview.spentThisMonthMsat = spent->integer(1);
        overview.paymentsToday = int(spent->integer(2));
    }
    auto refused = m_wallet.database().prepare(
        "SELECT count(*) FROM events WHERE at >= ? AND kind IN ('refused', 'denied', "
        "'timed_out', 'failed')");
    if (refused) {
        refused->bind(1, int64_t(today));
        if (auto row = refused->step(); row && row.value()) {
            overview.refusalsToday = int(refused->integer(0));
        }
    }
    auto tokens =
        m_wallet.database().prepare("SELECT count(*) FROM tokens WHERE status = 'active' AND "
                                    "(expires_at IS NULL OR expires_at > ?)");
    if (tokens) {
        tokens->bind(1, SystemClock::instance().nowSeconds());
        if (auto row = tokens->step(); row && row.value()) {
            overview.activeTokens = int(tokens->integer(0));
        }
    }
    // The largest event id stands in for the count: the history is append-only, and a full
    // count would read every row of a long history.
    auto events = m_wallet.database().prepare("SELECT ifnull(MAX(id), 0) FROM events");
    if (events) {
        if (auto row = events->step(); row && row.value()) {
            overview.totalEvents = events->integer(0);
        }
    }
    overview.pendingApprovals = int(m_broker.pending().size());
    return overview;
}

Result<QList<DaySpend>> WalletService::spendByDay(int days)
{
    const QDate first = QDate::currentDate().addDays(-(days - 1));
    const qint64 from = QDateTime(first, QTime(0, 0)).toSecsSinceEpoch();
    auto statement = m_wallet.database().prepare(
        "SELECT date(created_at, 'unixepoch', 'localtime'), origin, "
        "SUM(amount_msat + ifnull(fee_msat, 0)) FROM payments "
        "WHERE status = 'succeeded' AND created_at >= ? GROUP BY 1, 2 ORDER BY 1, 2");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, int64_t(from));
    QList<DaySpend> out;
    for (auto row = statement->step(); row && row.value(); row = statement->step()) {
        out.append(DaySpend{QDate::fromString(statement->text(0), Qt::ISODate), statement->text(1),
                            statement->integer(2)});
    }
    return out;
}

Result<QList<SiteTotal>> WalletService::spendBySite(int days)
{
    const qint64 from =
        QDateTime(QDate::currentDate().addDays(-(days - 1)), QTime(0, 0)).toSecsSinceEpoch();
    auto statement = m_wallet.database().prepare(
        "SELECT origin, SUM(amount_msat + ifnull(fee_msat, 0)), count(*) FROM payments "
        "WHERE status = 'succeeded' AND created_at >= ? GROUP BY origin ORDER BY 2 DESC");
    if (!statement) {
        return statement.error();
    }
    statement->bind(1, int64_t(from));
    QList<SiteTotal> out;
    for (auto row = statement->step(); row && row.value(); row = statement->step()) {
        out.append(
            SiteTotal{statement->text(0), statement->integer(1), int(statement->integer(2))});
    }
    return out;
}

void WalletService::exportCsv(const ActivityFilter& filter, const QString& path,
                              std::function<void(Result<qint64>)> done)
{
    struct Export {
        Where where;
        QSaveFile file;
        qint64 afterId = 0;
        qint64 rows = 0;
        std::function<void(Result<qint64>)> done;
        explicit Export(const QString& path)
            : file(path)
        {
        }
    };
    auto job = std::make_shared<Export>(path);
    job->where = whereOf(filter);
    job->done = std::move(done);
    if (!job->file.open(QIODevice::WriteOnly)) {
        job->done(Error{QStringLiteral("file"),
                        tr("Cannot write %1: %2").arg(path, job->file.errorString())});
        return;
    }
    job->file.write("time,site,agent,status,amount_sat,fee_sat,code,reason,payment_id\r\n");
    // A chunk of rows per event-loop turn, each chunk its own short query after the last id
    // written: payments keep flowing on this thread while a long history is exported.
    auto chunk = std::make_shared<std::function<void()>>();
    *chunk = [this, job, chunk] {
        const QByteArray condition =
            job->where.sql.isEmpty() ? QByteArray(" WHERE e.id > ?") : QByteArray(" AND e.id > ?");
        const QByteArray sql =
            kActivitySelect + job->where.sql + condition + " ORDER BY e.id LIMIT 5000";
        auto statement = m_wallet.database().prepare(sql.constData());
        if (!statement) {
            job->file.cancelWriting();
            job->done(statement.error());
            *chunk = nullptr;
            return;
        }
        job->where.bindTo(*statement);
        statement->bind(int(job->where.values.size()) + 1, int64_t(job->afterId));
        // Exact: whole sats, a point and the msat, never through a double.
        const auto sats = [](const std::optional<qint64>& msat) {
            return msat ? QStringLiteral("%1.%2")
                              .arg(*msat / 1000)
                              .arg(*msat % 1000, 3, 10, QLatin1Char('0'))
                        : QString();
        };
        int inChunk = 0;
        Result<bool> row = statement->step();
        for (; row && row.value(); row = statement->step()) {
            const ActivityRow r = rowOf(*statement);
            const QStringList fields{QDateTime::fromSecsSinceEpoch(r.at).toString(Qt::ISODate),
                                     r.origin,
                                     r.agent,
                                     r.kind,
                                     sats(r.amountMsat),
                                     sats(r.feeMsat),
                                     r.code,
                                     r.message,
                                     r.paymentId ? QString::number(r.paymentId) : QString()};
            QStringList quoted;
            for (const QString& field : fields) {
                quoted << csvField(field);
            }
            job->file.write(QString(quoted.join(u',') + QStringLiteral("\r\n")).toUtf8());
            job->afterId = r.eventId;
            ++job->rows;
            ++inChunk;
        }
        if (!row) {
            job->file.cancelWriting(); // no half a history under the chosen name
            job->done(row.error());
            *chunk = nullptr;
            return;
        }
        if (inChunk == 5000) {
            QTimer::singleShot(0, this, [chunk] {
                if (*chunk) {
                    (*chunk)();
                }
            });
            return;
        }
        if (!job->file.commit()) {
            job->done(Error{
                QStringLiteral("file"),
                tr("Cannot write %1: %2").arg(job->file.fileName(), job->file.errorString())});
        } else {
            job->done(job->rows);
        }
        *chunk = nullptr; // ends the cycle the chunk function holds on itself
    };
    (*chunk)();
}

// --- Tokens ---

Result<QList<TokenView>> WalletService::tokens()
{
    payments::TokenStore store(m_wallet.database(), SystemClock::instance());
    auto list = store.list();
    if (!list) {
        return list.error();
    }
    const qint64 now = SystemClock::instance().nowSeconds();
    QList<TokenView> out;
    for (const payments::Token& token : list.value()) {
        if (token.status == QLatin1String("removed")) {
            continue;
        }
        TokenView view;
        view.token = token;
        view.effectiveStatus =
            token.status == QLatin1String("active") && token.expiresAt && *token.expiresAt <= now
                ? QStringLiteral("expired")
                : token.status;
        auto macaroon = protocol::Macaroon::fromBinary(token.macaroon);
        if (macaroon) {
            view.macaroonBase64 = QString::fromLatin1(macaroon->toBase64());
            const auto caveats = protocol::ApertureCaveats::fromMacaroon(*macaroon);
            for (const auto& service : caveats.services) {
                view.caveatsInWords
                    << tr("Service %1, tier %2").arg(service.name).arg(service.tier);
            }
            for (const auto& [service, capabilities] : caveats.capabilities) {
                view.caveatsInWords
                    << tr("%1 may only: %2").arg(service, capabilities.join(QStringLiteral(", ")));
            }
            for (const auto& [service, until] : caveats.validUntil) {
                view.caveatsInWords
                    << tr("%1 valid until %2")
                           .arg(service, QDateTime::fromSecsSinceEpoch(until).toString(
                                             QStringLiteral("yyyy-MM-dd HH:mm")));
            }
            for (const auto& keyValue : caveats.all) {
                view.caveats.append({keyValue.key, keyValue.value});
            }
            if (caveats.all.isEmpty()) {
                view.caveatsInWords << tr("No caveats: valid for everything the site sells.");
            }
        }
        out.append(view);
    }
    return out;
}

Status WalletService::removeToken(qint64 tokenId)
{
    payments::TokenStore store(m_wallet.database(), SystemClock::instance());
    auto token = store.find(tokenId);
    if (!token) {
        return Status(token.error());
    }
    if (!token.value()) {
        return Status::failure(QStringLiteral("not_found"), tr("That token is already gone."));
    }
    auto statement =
        m_wallet.database().prepare("UPDATE tokens SET status = 'removed' WHERE id = ?");
    if (!statement) {
        return Status(statement.error());
    }
    statement->bind(1, int64_t(tokenId));
    if (auto ran = statement->run(); !ran) {
        return ran;
    }
    m_engine.tokensChangedElsewhere({token.value()->origin});
    Q_EMIT tokensChanged();
    return success();
}

Result<QString> WalletService::credential(qint64 tokenId)
{
    payments::TokenStore store(m_wallet.database(), SystemClock::instance());
    auto token = store.find(tokenId);
    if (!token) {
        return token.error();
    }
    if (!token.value()) {
        return Error{QStringLiteral("not_found"), tr("That token is gone.")};
    }
    return QString::fromLatin1(token.value()->authorizationValue());
}

Result<QString> WalletService::attenuatedCredential(qint64 tokenId, const QStringList& caveats)
{
    payments::TokenStore store(m_wallet.database(), SystemClock::instance());
    auto token = store.find(tokenId);
    if (!token) {
        return token.error();
    }
    if (!token.value()) {
        return Error{QStringLiteral("not_found"), tr("That token is gone.")};
    }
    auto macaroon = protocol::Macaroon::fromBinary(token.value()->macaroon);
    if (!macaroon) {
        return macaroon.error();
    }
    protocol::Macaroon narrowed = macaroon.value();
    for (const QString& caveat : caveats) {
        const qsizetype equals = caveat.indexOf(u'=');
        if (equals <= 0 || caveat.trimmed() != caveat) {
            return Error{
                QStringLiteral("invalid_caveat"),
                tr("A caveat is written key=value, without spaces around it: \"%1\".").arg(caveat)};
        }
        narrowed = narrowed.withFirstPartyCaveat(caveat.toUtf8());
    }
    return QStringLiteral("%1 %2:%3")
        .arg(token.value()->scheme, QString::fromLatin1(narrowed.toBase64()),
             QString::fromLatin1(token.value()->preimage.toHex()));
}

// --- Budgets ---

Result<QList<RuleView>> WalletService::rules()
{
    policy::BudgetBook& book = m_engine.budgets();
    auto rules = book.rules();
    if (!rules) {
        return rules.error();
    }
    const policy::Windows windows = policy::windowsAt(SystemClock::instance().now(), book.zone());
    QList<RuleView> out;
    for (const policy::BudgetRule& rule : rules.value()) {
        auto usage = book.usageOf(rule, windows);
        out.append(RuleView{rule, usage ? usage.value() : policy::Usage{}, windows});
    }
    return out;
}

Result<int64_t> WalletService::saveRule(const policy::BudgetRule& rule)
{
    auto saved = m_engine.budgets().saveRule(rule);
    if (saved) {
        Q_EMIT rulesChanged();
    }
    return saved;
}

Result<bool> WalletService::removeRule(const QString& pattern, const QString& agent)
{
    auto removed = m_engine.budgets().removeRule(pattern, agent);
    if (removed && removed.value()) {
        Q_EMIT rulesChanged();
    }
    return removed;
}

// --- Agents ---

Result<QList<AgentView>> WalletService::agents()
{
    policy::AgentBook book(m_wallet.database(), SystemClock::instance());
    auto list = book.list();
    if (!list) {
        return list.error();
    }
    QHash<QString, AgentView> spend;
    auto statement = m_wallet.database().prepare(
        "SELECT agent, SUM(amount_msat + ifnull(fee_msat, 0)), "
        "ifnull(SUM(CASE WHEN created_at >= ? THEN amount_msat + ifnull(fee_msat, 0) END), 0), "
        "count(*) FROM payments WHERE status = 'succeeded' GROUP BY agent");
    if (statement) {
        statement->bind(1, int64_t(startOfToday()));
        for (auto row = statement->step(); row && row.value(); row = statement->step()) {
            AgentView view;
            view.spentMsat = statement->integer(1);
            view.spentTodayMsat = statement->integer(2);
            view.payments = int(statement->integer(3));
            spend.insert(statement->text(0), view);
        }
    }
    QList<AgentView> out;
    for (const policy::Agent& agent : list.value()) {
        AgentView view = spend.value(agent.name);
        view.name = agent.name;
        view.createdAt = agent.createdAt;
        out.append(view);
    }
    return out;
}

Result<policy::NewAgent> WalletService::addAgent(const QString& name)
{
    auto added = policy::AgentBook(m_wallet.database(), SystemClock::instance()).add(name);
    if (added) {
        Q_EMIT agentsChanged();
    }
    return added;
}

Result<bool> WalletService::removeAgent(const QString& name)
{
    auto removed = policy::AgentBook(m_wallet.database(), SystemClock::instance()).remove(name);
    if (removed && removed.value()) {
        Q_EMIT agentsChanged();
    }
    return removed;
}

// --- Node ---

Result<NodeView> WalletService::node()
{
    auto loaded = node::NodeSettingsRepository(m_wallet.database()).load();
    if (!loaded) {
        return loaded.error();
    }
    NodeView view;
    if (loaded.value()) {
        view.configured = true;
        view.backend = loaded.value()->backend;
        view.redacted = loaded.value()->redacted();
    }
    return view;
}

Status WalletService::saveNode(const node::NodeSettings& settings)
{
    return node::NodeSettingsRepository(m_wallet.database())
        .save(settings, SystemClock::instance().nowSeconds());
}

void WalletService::testNode(const node::NodeSettings& settings,
                             std::function<void(Result<NodeTestResult>)> done)
{
    auto created = node::createNode(settings);
    if (!created) {
        done(created.error());
        return;
    }
    // One test at a time: a new one replaces (and so cancels) the one before.
    m_testNode = std::move(created.value());
    node::LightningNode* tested = m_testNode.get();
    QPointer<WalletService> self(this);
    tested->info([self, tested, done](Result<node::NodeInfo> info) {
        if (!self || self->m_testNode.get() != tested) {
            return;
        }
        if (!info) {
            done(info.error());
            return;
        }
        NodeTestResult result;
        result.backend = info->backend;
        result.alias = info->alias;
        result.network = protocol::networkName(info->network);
        tested->balance([self, tested, done, result](Result<node::Balance> balance) mutable {
            if (!self || self->m_testNode.get() != tested) {
                return;
            }
            if (!balance) {
                done(balance.error());
                return;
            }
            result.balanceMsat = balance->spendableMsat;
            // Close the tested connection (NWC relays, LND sessions) once it has answered.
            QMetaObject::invokeMethod(
                self.data(),
                [self, tested] {
                    if (self && self->m_testNode.get() == tested) {
                        self->m_testNode.reset();
                    }
                },
                Qt::QueuedConnection);
            done(result);
        });
    });
}

// --- Settings ---

Result<WalletSettings> WalletService::settings()
{
    store::Database& database = m_wallet.database();
    WalletSettings out;
    auto port = store::readSetting(database, QLatin1String(setting::kProxyPort));
    auto intercept = store::readSetting(database, QLatin1String(setting::kInterceptHttps));
    auto bypass = store::readSetting(database, QLatin1String(setting::kBypassHosts));
    auto timeout = store::readSetting(database, QLatin1String(setting::kApprovalTimeout));
    for (const auto* read : {&port, &intercept, &bypass, &timeout}) {
        if (!*read) {
            return read->error();
        }
    }
    if (const int value = port->toInt(); value > 0 && value < 65536) {
        out.proxyPort = quint16(value);
    }
    out.interceptHttps = intercept->isEmpty() || intercept.value() == QLatin1String("1");
    out.bypassHosts = bypass->split(u'\n', Qt::SkipEmptyParts);
    if (const int value = timeout->toInt(); value >= 10 && value <= 600) {
        out.approvalTimeoutSeconds = value;
    }
    return out;
}

Status WalletService::saveSettings(const WalletSettings& settings)
{
    if (settings.proxyPort < 1024) {
        return Status::failure(QStringLiteral("invalid_setting"),
                               tr("The proxy port must be between 1024 and 65535."));
    }
    if (settings.approvalTimeoutSeconds < 10 || settings.approvalTimeoutSeconds > 600) {
        return Status::failure(QStringLiteral("invalid_setting"),
                               tr("The approval timeout must be between 10 and 600 seconds."));
    }
    store::Database& database = m_wallet.database();
    const std::pair<const char*, QString> values[] = {
        {setting::kProxyPort, QString::number(settings.proxyPort)},
        {setting::kInterceptHttps,
         settings.interceptHttps ? QStringLiteral("1") : QStringLiteral("0")},
        {setting::kBypassHosts, settings.bypassHosts.join(u'\n')},
        {setting::kApprovalTimeout, QString::number(settings.approvalTimeoutSeconds)}};
    for (const auto& [key, value] : values) {
        if (auto written = store::writeSetting(database, QLatin1String(key), value); !written) {
            return written;
        }
    }
    // The approval timeout applies at once; the proxy's settings at its next start.
    m_broker.setTimeout(std::chrono::seconds(settings.approvalTimeoutSeconds));
    return success();
}

Result<QByteArray> WalletService::caCertificatePem()
{
    auto ca = proxy::LocalCa::loadOrCreate(m_wallet.database(), SystemClock::instance());
    if (!ca) {
        return ca.error();
    }
    return ca.value()->certificatePem();
}

Status WalletService::regenerateCa()
{
    store::Database& database = m_wallet.database();
    auto transaction = store::Transaction::begin(database);
    if (!transaction) {
        return Status(transaction.error());
    }
    for (const char* key : {"ca_certificate", "ca_private_key"}) {
        if (auto cleared = store::writeSetting(database, QLatin1String(key), QString()); !cleared) {
            return cleared;
        }
    }
    auto ca = proxy::LocalCa::loadOrCreate(database, SystemClock::instance());
    if (!ca) {
        return Status(ca.error());
    }
    if (auto committed = transaction.value()->commit(); !committed) {
        return committed;
    }
    if (auto written = ca.value()->writeFiles(m_dataDir); !written) {
        return written;
    }
    Q_EMIT caRegenerated();
    return success();
}

void WalletService::changePassphrase(const QByteArray& newPassphrase,
                                     std::function<void(Status)> done)
{
    if (newPassphrase.size() < 8) {
        done(Status::failure(QStringLiteral("weak_passphrase"),
                             tr("A passphrase needs at least 8 characters.")));
        return;
    }
    auto before = store::KeyFile::load(m_dataDir);
    if (!before) {
        done(Status(before.error()));
        return;
    }
    const QString keychainEntry =
        before.value() && before.value()->mode() == store::KeyFile::Mode::Keychain
            ? before.value()->keychainEntry()
            : QString();
    if (auto changed = m_wallet.changePassphrase(newPassphrase); !changed) {
        done(changed);
        return;
    }
    if (keychainEntry.isEmpty() || !m_keychain) {
        done(success());
        return;
    }
    // The key now lives under the passphrase only: the copy in the keychain must go, or
    // whoever can read the keychain could still open the wallet without the passphrase.
    m_keychain->remove(keychainEntry, [done](Status removed) {
        done(removed ? success()
                     : Status::failure(removed.error().code,
                                       tr("The passphrase is set, but the old key could not be "
                                          "removed from the keychain: %1. Remove the entry "
                                          "by hand.")
                                           .arg(removed.error().message)));
    });
}

// --- Approvals ---

QList<policy::ApprovalRequest> WalletService::pendingApprovals() const
{
    return m_broker.pending();
}

bool WalletService::answerApproval(const QString& id, bool approve, policy::Remember remember)
{
    return m_broker.answer(id, approve, remember);
}

void WalletService::pauseApproval(const QString& id)
{
    m_broker.pause(id);
}

void WalletService::resumeApproval(const QString& id)
{
    m_broker.resume(id);
}

} // namespace l402::service
