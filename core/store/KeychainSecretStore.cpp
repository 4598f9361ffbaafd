#include "core/store/SecretStore.h"

#include <qt6keychain/keychain.h>

#include <QPointer>
#include <QTimer>

#include <memory>

namespace l402::store {
namespace {

Error keychainError(QKeychain::Error code, const QString& detail)
{
    switch (code) {
    case QKeychain::EntryNotFound:
        return Error{QLatin1String(secret_error::kNotFound),
                     QStringLiteral("The keychain has no entry for this wallet.")};
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return Error{QLatin1String(secret_error::kDenied),
                     QStringLiteral("The keychain refused access: %1").arg(detail)};
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return Error{QLatin1String(secret_error::kUnavailable),
                     QStringLiteral("No keychain is available (%1).").arg(detail)};
    default:
        return Error{QLatin1String(secret_error::kUnavailable),
                     QStringLiteral("The keychain failed: %1").arg(detail)};
    }
}

// Starts `job`, and calls `finish` exactly once: with the job's outcome, or with a timeout
// error if the keychain does not answer (a locked keyring waiting on a prompt nobody sees).
template <typename Finish> void runJob(QKeychain::Job* job, int timeoutMs, Finish finish)
{
    auto finished = std::make_shared<bool>(false);
    auto* timer = new QTimer(job);
    timer->setSingleShot(true);
    QObject::connect(timer, &QTimer::timeout, job, [job, finished, finish] {
        if (!std::exchange(*finished, true)) {
            finish(job, Error{QLatin1String(secret_error::kTimeout),
                              QStringLiteral("The keychain did not answer in time.")});
        }
    });
    QObject::connect(job, &QKeychain::Job::finished, job, [finished, finish](QKeychain::Job* done) {
        if (!std::exchange(*finished, true)) {
            finish(done,
                   done->error() == QKeychain::NoError
                       ? std::optional<Error>()
                       : std::optional<Error>(keychainError(done->error(), done->errorString())));
        }
    });
    job->setAutoDelete(true);
    timer->start(timeoutMs);
    job->start();
}

} // namespace

KeychainSecretStore::KeychainSecretStore(QString service, int timeoutMs)
    : m_service(std::move(service))
    , m_timeoutMs(timeoutMs)
{
}

void KeychainSecretStore::read(const QString& key, std::function<void(Result<QByteArray>)> done)
{
    auto* job = new QKeychain::ReadPasswordJob(m_service);
    job->setKey(key);
    runJob(job, m_timeoutMs, [done](QKeychain::Job* finished, std::optional<Error> error) {
        if (error) {
            done(Result<QByteArray>(*error));
            return;
        }
        done(static_cast<QKeychain::ReadPasswordJob*>(finished)->binaryData());
    });
}

void KeychainSecretStore::write(const QString& key, const QByteArray& secret,
                                std::function<void(Status)> done)
{
    auto* job = new QKeychain::WritePasswordJob(m_service);
    job->setKey(key);
    job->setBinaryData(secret);
    runJob(job, m_timeoutMs, [done](QKeychain::Job*, std::optional<Error> error) {
        done(error ? Status(*error) : success());
    });
}

void KeychainSecretStore::remove(const QString& key, std::function<void(Status)> done)
{
    auto* job = new QKeychain::DeletePasswordJob(m_service);
    job->setKey(key);
    runJob(job, m_timeoutMs, [done](QKeychain::Job*, std::optional<Error> error) {
        done(error ? Status(*error) : success());
    });
}

} // namespace l402::store
