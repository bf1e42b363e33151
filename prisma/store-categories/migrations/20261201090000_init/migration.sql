-- CreateTable
CREATE TABLE `categories` (
  `id` CHAR(36) NOT NULL,
  `name` VARCHAR(80) NOT NULL,
  `slug` VARCHAR(80) NOT NULL,
  `parent_id` CHAR(36) NULL,
  `icon` VARCHAR(200) NULL,
  `position` INT NOT NULL DEFAULT 0,
  `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `updated_at` DATETIME(3) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `categories_slug_key` (`slug`),
  KEY `categories_parent_id_position_idx` (`parent_id`, `position`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `projected_stores` (
  `store_id` CHAR(36) NOT NULL,
  `status` VARCHAR(20) NOT NULL,
  `revision` INT NOT NULL,
  `updated_at` DATETIME(3) NOT NULL,
  PRIMARY KEY (`store_id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `category_store_links` (
  `category_id` CHAR(36) NOT NULL,
  `store_id` CHAR(36) NOT NULL,
  `store_status` VARCHAR(20) NOT NULL,
  PRIMARY KEY (`category_id`, `store_id`),
  KEY `category_store_links_store_id_idx` (`store_id`)
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

-- AddForeignKey
ALTER TABLE `categories` ADD CONSTRAINT `categories_parent_id_fkey` FOREIGN KEY (`parent_id`) REFERENCES `categories`(`id`) ON DELETE RESTRICT ON UPDATE RESTRICT;
