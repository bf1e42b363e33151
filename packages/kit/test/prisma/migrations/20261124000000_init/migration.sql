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

-- CreateTable
CREATE TABLE `ledger` (
  `seq` BIGINT NOT NULL AUTO_INCREMENT,
  `event_id` CHAR(36) NOT NULL,
  `user_id` CHAR(36) NOT NULL,
  `note` VARCHAR(200) NOT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  PRIMARY KEY (`seq`),
  KEY `ledger_event_id_idx` (`event_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
