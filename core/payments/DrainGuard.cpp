#include "core/payments/DrainGuard.h"

#include "core/payments/RefusalCodes.h"
#include "core/store/Settings.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

namespace l402::payments {
namespace {

QString encode(const QMap<QString, int64_t>& paused)
{
    if (paused.isEmpty()) {
        return {};
    }
    QJsonObject out;
    for (auto it = paused.cbegin(); it != paused.cend(); ++it) {
        out.insert(it.key(), qint64(it.value()));
    }
    return QString::fromUtf8(QJsonDocument(out).toJson(QJsonDocument::Compact));
}

Result<QMap<QString, int64_t>> decode(const QString& text)
{
    QMap<QString, int64_t> paused;
    if (text.isEmpty()) {
        return paused;
    }
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject()) {
        return Result<QMap<QString, int64_t>>::failure(
            QStringLiteral("invalid_setting"),
            QStringLiteral("The stored paused origins cannot be read (%1).")
                .arg(error.errorString()));
    }
    const QJsonObject object = document.object();
    for (auto it = object.begin(); it != object.end(); ++it) {
        paused.insert(it.key(), it.value().toInteger());
    }
    return paused;
}

QString localTime(int64_t seconds)
{
    return QDateTime::fromSecsSinceEpoch(seconds).toLocalTime().toString(
        QStringLiteral("yyyy-MM-dd HH:mm"));
}

} // namespace

DrainGuard::DrainGuard(store::Database& database, const Clock& clock, Settings settings)
    : m_database(database)
    , m_clock(clock)
    , m_settings(settings)
{
}

Status DrainGuard::reload()
{
    auto stored = store::readSetting(m_database, QLatin1String(kDrainGuardSetting));
    auto paused = stored ? decode(stored.value()) : Result<QMap<QString, int64_t>>(stored.error());
    if (!paused) {
        return Status(paused.error());
    }
    m_paused = paused.value();
    return success();
}

bool DrainGuard::isFresh(int64_t tokenCreatedAt) const
{
    return m_clock.nowSeconds() - tokenCreatedAt < m_settings.freshTokenSeconds;
}

Status DrainGuard::write(const QMap<QString, int64_t>& next)
{
    // Pauses that ran out are dropped on every write, so the value stays small.
    QMap<QString, int64_t> kept;
    const int64_t now = m_clock.nowSeconds();
    for (auto it = next.cbegin(); it != next.cend(); ++it) {
        if (it.value() > now) {
            kept.insert(it.key(), it.value());
        }
    }
    if (auto written =
            store::writeSetting(m_database, QLatin1String(kDrainGuardSetting), encode(kept));
        !written) {
        return written;
    }
    m_paused = kept;
    return success();
}

Result<int64_t> DrainGuard::pause(const QString& origin)
{
    // Read first: the CLI may have resumed another origin meanwhile.
    if (auto loaded = reload(); !loaded) {
        return Result<int64_t>(loaded.error());
    }
    const int64_t until = m_clock.nowSeconds() + m_settings.pauseSeconds;
    QMap<QString, int64_t> next = m_paused;
    next.insert(origin, until);
    if (auto written = write(next); !written) {
        return Result<int64_t>(written.error());
    }
    return until;
}

Result<bool> DrainGuard::resume(const QString& origin)
{
    if (auto loaded = reload(); !loaded) {
        return Result<bool>(loaded.error());
    }
    if (!m_paused.contains(origin)) {
        return false;
    }
    const bool wasPaused = pausedUntil(origin).has_value(); // false: it had run out already
    QMap<QString, int64_t> next = m_paused;
    next.remove(origin);
    if (auto written = write(next); !written) {
        return Result<bool>(written.error());
    }
    return wasPaused;
}

std::optional<int64_t> DrainGuard::pausedUntil(const QString& origin) const
{
    const auto found = m_paused.constFind(origin);
    if (found == m_paused.constEnd() || found.value() <= m_clock.nowSeconds()) {
        return std::nullopt;
    }
    return found.value();
}

QMap<QString, int64_t> DrainGuard::pausedOrigins() const
{
    QMap<QString, int64_t> now;
    for (auto it = m_paused.cbegin(); it != m_paused.cend(); ++it) {
        if (pausedUntil(it.key())) {
            now.insert(it.key(), it.value());
        }
    }
    return now;
}

Error DrainGuard::refusalFor(const QString& origin) const
{
    return Error{QLatin1String(refusal_error::kOriginPaused),
                 QStringLiteral("Payments to %1 are paused until %2: it answered 402 to a token "
                                "the wallet had just bought, so it may be taking payments without "
                                "giving access. The owner resumes it with 'l402-wallet resume "
                                "--origin %1'.")
                     .arg(origin, localTime(pausedUntil(origin).value_or(m_clock.nowSeconds())))};
}

} // namespace l402::payments
