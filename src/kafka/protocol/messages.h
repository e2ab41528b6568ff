// Every Kafka message the broker serves: one header per API under messages/.
#pragma once

#include "kafka/protocol/messages/alter_configs.h"
#include "kafka/protocol/messages/api_versions.h"
#include "kafka/protocol/messages/create_partitions.h"
#include "kafka/protocol/messages/create_topics.h"
#include "kafka/protocol/messages/delete_topics.h"
#include "kafka/protocol/messages/describe_configs.h"
#include "kafka/protocol/messages/fetch.h"
#include "kafka/protocol/messages/list_offsets.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/messages/produce.h"
#include "kafka/protocol/messages/sasl_handshake.h"
