#include "storage_view.h"

#include "dashboard_window.h"

#include <QDateTime>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace berth::gui {

namespace {

QTableWidgetItem* cell(const QString& text, const QVariant& sortKey = {})
{
    auto* item = new QTableWidgetItem(text);
    if (sortKey.isValid()) { item->setData(Qt::UserRole, sortKey); }
    return item;
}

QString inUseText(int containers)
{
    return containers == 0
        ? StorageView::tr("No")
        : (containers == 1 ? StorageView::tr("1 container") : StorageView::tr("%1 containers").arg(containers));
}

}  // namespace

QString humanSize(qint64 bytes)
{
    if (bytes < 0) { return StorageView::tr("unknown"); }
    return QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeSIFormat);
}

QString diskUsageText(const endpoint::DiskUsage& usage)
{
    return StorageView::tr("Images %1 · Containers %2 · Volumes %3 · Build cache %4")
        .arg(humanSize(usage.imagesSize), humanSize(usage.containersSize), humanSize(usage.volumesSize),
             humanSize(usage.buildCacheSize));
}

StorageView::StorageView(Kind kind, ContainerSource& engine, QWidget* parent)
    : QWidget(parent),
      m_kind(kind),
      m_engine(engine),
      m_table(new QTableWidget(this)),
      m_remove(new QPushButton(tr("Remove…"), this)),
      m_prune(
          new QPushButton(kind == Kind::Images ? tr("Remove dangling images…") : tr("Remove unused volumes…"), this)),
      m_message(new QLabel(this)),
      m_confirm([](QWidget* parent, const QString& question) {
          return QMessageBox::question(parent, tr("Berth"), question, QMessageBox::Yes | QMessageBox::Cancel,
                                       QMessageBox::Cancel)
              == QMessageBox::Yes;
      })
{
    const bool images = kind == Kind::Images;
    setObjectName(images ? QStringLiteral("imagesView") : QStringLiteral("volumesView"));
    m_table->setObjectName(images ? QStringLiteral("imagesTable") : QStringLiteral("volumesTable"));
    m_table->setAccessibleName(images ? tr("Images") : tr("Volumes"));
    m_table->setHorizontalHeaderLabels({});
    const QStringList headers = images
        ? QStringList{tr("Repository"), tr("Tag"), tr("ID"), tr("Size"), tr("Created"), tr("In use")}
        : QStringList{tr("Name"), tr("Driver"), tr("Size"), tr("In use")};
    m_table->setColumnCount(static_cast<int>(headers.size()));
    m_table->setHorizontalHeaderLabels(headers);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_remove->setToolTip(images ? tr("Remove the selected image") : tr("Remove the selected volume"));
    m_prune->setToolTip(images ? tr("Remove the images no tag names and no container uses")
                               : tr("Remove every volume no container uses, named or not"));
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_message->hide();

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_remove);
    buttons->addWidget(m_prune);
    buttons->addStretch(1);
    auto* column = new QVBoxLayout(this);
    column->addLayout(buttons);
    column->addWidget(m_message);
    column->addWidget(m_table, 1);

    connect(m_remove, &QPushButton::clicked, this, &StorageView::removeSelected);
    connect(m_prune, &QPushButton::clicked, this, &StorageView::pruneAll);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &StorageView::updateButtons);
    updateButtons();
}

QString StorageView::message() const
{
    return m_message->isVisibleTo(this) ? m_message->text() : QString();
}

void StorageView::showUsage(const endpoint::DiskUsage& usage)
{
    const QString selected = m_table->selectedItems().isEmpty()
        ? QString()
        : m_table->item(m_table->selectedItems().first()->row(), 0)->data(Qt::UserRole).toString();
    m_table->clearSelection();
    m_table->setRowCount(0);
    const QDateTime now = QDateTime::currentDateTimeUtc();
    const auto addRow = [this, &selected](const QString& key, const QStringList& cells) {
        const int row = m_table->rowCount();
        m_table->insertRow(row);
        for (int col = 0; col < cells.size(); ++col) { m_table->setItem(row, col, cell(cells[col])); }
        m_table->item(row, 0)->setData(Qt::UserRole, key);
        if (key == selected) { m_table->selectRow(row); }
    };
    if (m_kind == Kind::Images) {
        for (const auto& image : usage.images) {
            const QString shortId = image.id.section(QLatin1Char(':'), -1).left(12);
            const QString created = image.created > 0
                ? containerAgeText(QDateTime::fromSecsSinceEpoch(image.created, Qt::UTC), now)
                : QString();
            // One row a tag, as `docker images` lists them; a dangling image is "<none>".
            const QStringList tags = image.tags.isEmpty() ? QStringList{QStringLiteral("<none>:<none>")} : image.tags;
            for (const QString& tag : tags) {
                const qsizetype colon = tag.lastIndexOf(QLatin1Char(':'));
                addRow(image.tags.isEmpty() ? image.id : tag,
                       {tag.left(colon), tag.mid(colon + 1), shortId, humanSize(image.size), created,
                        inUseText(image.containers)});
            }
        }
    } else {
        for (const auto& volume : usage.volumes) {
            addRow(volume.name, {volume.name, volume.driver, humanSize(volume.size), inUseText(volume.containers)});
        }
    }
    m_table->resizeColumnsToContents();
    updateButtons();
}

void StorageView::updateButtons()
{
    m_remove->setEnabled(!m_busy && !m_table->selectedItems().isEmpty());
    m_prune->setEnabled(!m_busy);
}

void StorageView::removeSelected()
{
    const auto items = m_table->selectedItems();
    if (items.isEmpty() || m_busy) { return; }
    const QString key = m_table->item(items.first()->row(), 0)->data(Qt::UserRole).toString();
    const bool images = m_kind == Kind::Images;
    const QString question
        = images ? tr("Remove the image %1?").arg(key) : tr("Remove the volume %1? The data in it is lost.").arg(key);
    if (!m_confirm(this, question)) { return; }
    m_busy = true;
    updateButtons();
    m_message->setText(tr("Removing %1…").arg(key));
    m_message->setStyleSheet({});
    m_message->show();
    const QString failed = tr("Could not remove %1: %2").arg(key, QStringLiteral("%1"));
    auto done = [this, failed](const QString& error) { finished(error, failed); };
    if (images) {
        m_engine.removeImage(key, this, done);
    } else {
        m_engine.removeVolume(key, this, done);
    }
}

void StorageView::pruneAll()
{
    if (m_busy) { return; }
    const bool images = m_kind == Kind::Images;
    const QString question = images ? tr("Remove every image no tag names and no container uses?")
                                    : tr("Remove every volume no container uses? The data in them is lost.");
    if (!m_confirm(this, question)) { return; }
    m_busy = true;
    updateButtons();
    m_message->setText(tr("Removing…"));
    m_message->setStyleSheet({});
    m_message->show();
    m_engine.prune(images ? endpoint::Prune::DanglingImages : endpoint::Prune::UnusedVolumes, this,
                   [this](qint64 reclaimed, const QString& error) {
                       finished(error, tr("Could not remove them: %1"));
                       if (error.isEmpty()) {
                           m_message->setText(tr("%1 reclaimed").arg(humanSize(reclaimed)));
                           m_message->show();
                       }
                   });
}

void StorageView::finished(const QString& error, const QString& failed)
{
    m_busy = false;
    updateButtons();
    if (error.isEmpty()) {
        m_message->hide();
    } else {
        m_message->setText(failed.arg(error));
        m_message->setStyleSheet(QStringLiteral("color: #c62828;"));
        m_message->show();
    }
    emit changed();
}

}  // namespace berth::gui
