#pragma once
// Everything a ratchet application needs.

#include "ratchet/app.hpp"
#include "ratchet/component.hpp"
#include "ratchet/connection.hpp"
#include "ratchet/echo_server.hpp"
#include "ratchet/error.hpp"
#include "ratchet/http_handler.hpp"
#include "ratchet/http_response.hpp"
#include "ratchet/http_server.hpp"
#include "ratchet/io_server.hpp"
#include "ratchet/log.hpp"
#include "ratchet/message.hpp"
#include "ratchet/options.hpp"
#include "ratchet/origin_check.hpp"
#include "ratchet/request.hpp"
#include "ratchet/router.hpp"
#include "ratchet/ws_server.hpp"
