-- CreateTable
CREATE TABLE `audit_events` (
  `seq` BIGINT NOT NULL AUTO_INCREMENT,
  `event_id` CHAR(36) NOT NULL,
  `type` VARCHAR(128) NOT NULL,
  `version` INTEGER NOT NULL,
  `source` VARCHAR(64) NOT NULL,
  `entity_id` VARCHAR(255) NOT NULL,
  `correlation_id` VARCHAR(128) NOT NULL,
  `causation_id` VARCHAR(255) NULL,
  `actor_id` CHAR(36) NULL,
  `occurred_at` DATETIME(3) NOT NULL,
  `recorded_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `payload` LONGTEXT NOT NULL,
  UNIQUE INDEX `audit_events_event_id_key` (`event_id`),
  INDEX `audit_events_entity_id_occurred_at_seq_idx` (`entity_id`, `occurred_at`, `seq`),
  INDEX `audit_events_correlation_id_occurred_at_seq_idx` (`correlation_id`, `occurred_at`, `seq`),
  INDEX `audit_events_recorded_at_idx` (`recorded_at`),
  PRIMARY KEY (`seq`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `store_states` (
  `store_id` CHAR(36) NOT NULL,
  `owner_id` CHAR(36) NOT NULL,
  `name` VARCHAR(120) NOT NULL,
  `city` VARCHAR(120) NOT NULL,
  `status` VARCHAR(32) NOT NULL,
  `revision` INTEGER NULL,
  `status_since` DATETIME(3) NOT NULL,
  `snapshot_at` DATETIME(3) NOT NULL,
  INDEX `store_states_status_status_since_store_id_idx` (`status`, `status_since`, `store_id`),
  PRIMARY KEY (`store_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `outbox` (
  `seq` BIGINT NOT NULL AUTO_INCREMENT,
  `id` CHAR(36) NOT NULL,
  `type` VARCHAR(128) NOT NULL,
  `payload` LONGTEXT NOT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `sent_at` DATETIME(3) NULL,
  `attempts` INT NOT NULL DEFAULT 0,
  `last_error` VARCHAR(1000) NULL,
  PRIMARY KEY (`seq`),
  UNIQUE KEY `outbox_id_key` (`id`),
  KEY `outbox_sent_at_seq_idx` (`sent_at`, `seq`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `inbox` (
  `consumer` VARCHAR(128) NOT NULL,
  `event_id` CHAR(36) NOT NULL,
  `event_type` VARCHAR(128) NOT NULL,
  `processed_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (`consumer`, `event_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- The audit trail is append-only: the database itself refuses to change or remove a recorded event.
CREATE TRIGGER `audit_events_no_update` BEFORE UPDATE ON `audit_events` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_events is append-only';
CREATE TRIGGER `audit_events_no_delete` BEFORE DELETE ON `audit_events` FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_events is append-only';
