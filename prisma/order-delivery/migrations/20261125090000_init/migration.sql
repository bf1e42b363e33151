-- CreateTable
CREATE TABLE `deliveries` (
  `id` CHAR(36) NOT NULL,
  `order_id` CHAR(36) NOT NULL,
  `store_id` CHAR(36) NOT NULL,
  `customer_id` CHAR(36) NULL,
  `courier_id` CHAR(36) NULL,
  `status` VARCHAR(32) NOT NULL,
  `pickup_lat` DOUBLE NOT NULL,
  `pickup_lng` DOUBLE NOT NULL,
  `dropoff_city` VARCHAR(120) NOT NULL,
  `dropoff_postal_code` VARCHAR(20) NOT NULL,
  `dropoff_country` CHAR(2) NOT NULL,
  `dropoff_lat` DOUBLE NULL,
  `dropoff_lng` DOUBLE NULL,
  `dropoff_address` TEXT NULL,
  `cancel_reason` VARCHAR(500) NULL,
  `requested_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  `claimed_at` DATETIME(3) NULL,
  `picked_up_at` DATETIME(3) NULL,
  `delivered_at` DATETIME(3) NULL,
  `cancelled_at` DATETIME(3) NULL,
  `updated_at` DATETIME(3) NOT NULL,
  UNIQUE INDEX `deliveries_order_id_key` (`order_id`),
  INDEX `deliveries_status_pickup_lat_idx` (`status`, `pickup_lat`),
  INDEX `deliveries_courier_id_claimed_at_idx` (`courier_id`, `claimed_at`),
  INDEX `deliveries_customer_id_idx` (`customer_id`),
  PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `delivery_status_changes` (
  `id` BIGINT NOT NULL AUTO_INCREMENT,
  `delivery_id` CHAR(36) NOT NULL,
  `from_status` VARCHAR(32) NULL,
  `to_status` VARCHAR(32) NOT NULL,
  `trigger` VARCHAR(32) NOT NULL,
  `actor_id` CHAR(36) NULL,
  `event_id` CHAR(36) NULL,
  `reason` VARCHAR(500) NULL,
  `at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  INDEX `delivery_status_changes_delivery_id_id_idx` (`delivery_id`, `id`),
  PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `stores` (
  `id` CHAR(36) NOT NULL,
  `owner_id` CHAR(36) NOT NULL,
  `status` VARCHAR(32) NOT NULL,
  `lat` DOUBLE NOT NULL,
  `lng` DOUBLE NOT NULL,
  `revision` INTEGER NULL,
  `snapshot_at` DATETIME(3) NOT NULL,
  PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

-- CreateTable
CREATE TABLE `orders` (
  `id` CHAR(36) NOT NULL,
  `store_id` CHAR(36) NOT NULL,
  `customer_id` CHAR(36) NULL,
  `status` VARCHAR(32) NOT NULL,
  `updated_at` DATETIME(3) NOT NULL,
  INDEX `orders_customer_id_idx` (`customer_id`),
  PRIMARY KEY (`id`)
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
ALTER TABLE `delivery_status_changes` ADD CONSTRAINT `delivery_status_changes_delivery_id_fkey` FOREIGN KEY (`delivery_id`) REFERENCES `deliveries`(`id`) ON DELETE CASCADE ON UPDATE CASCADE;
