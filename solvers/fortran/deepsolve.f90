! The Fortran 2008 module `deepsolve` over the C API (deepsolve/deepsolve.h; docs/capi.md): the
! same functions under the same names, each returning the C API's status (DEEPSOLVE_SUCCESS = 0),
! with the communicator as mpi_f08's type(MPI_Comm), Fortran strings and optional arguments for
! the C API's defaults. Arrays of a block are passed to C as they are (no copy when contiguous):
! a(nx, ny) or a(nx, ny, nz) is the C API's layout, x fastest.
module deepsolve
  use, intrinsic :: iso_c_binding, only: c_char, c_double, c_int, c_null_char, c_null_ptr, &
                                         c_ptr, c_associated, c_f_pointer
  use mpi_f08, only: MPI_Comm
  implicit none
  private

  ! Status codes (deepsolve.h).
  integer(c_int), parameter, public :: DEEPSOLVE_SUCCESS = 0
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_ARGUMENT = 1
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_NULL = 2
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_MODEL = 3
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_PETSC = 4
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_NOT_CONVERGED = 5
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_MEMORY = 6
  integer(c_int), parameter, public :: DEEPSOLVE_ERROR_INTERNAL = 7
  ! Cell types and boundary conditions.
  integer(c_int), parameter, public :: DEEPSOLVE_FLUID = 0
  integer(c_int), parameter, public :: DEEPSOLVE_SOLID = 1
  integer(c_int), parameter, public :: DEEPSOLVE_AIR = 2
  integer(c_int), parameter, public :: DEEPSOLVE_DIRICHLET = 0
  integer(c_int), parameter, public :: DEEPSOLVE_NEUMANN = 1

  !> A Poisson solver (the C API's handle).
  type, public :: deepsolve_poisson
    type(c_ptr) :: handle = c_null_ptr
  end type deepsolve_poisson

  public :: deepsolve_initialize, deepsolve_finalize, deepsolve_error_message
  public :: deepsolve_poisson_create, deepsolve_poisson_destroy, deepsolve_poisson_set_cells
  public :: deepsolve_poisson_set_initial_guess_nonzero, deepsolve_poisson_solve
  public :: deepsolve_poisson_iterations, deepsolve_poisson_residual, deepsolve_poisson_reason
  public :: deepsolve_poisson_times, deepsolve_poisson_describe

  interface
    integer(c_int) function c_initialize(argc, argv) bind(c, name="deepsolve_initialize")
      import :: c_int, c_ptr
      type(c_ptr), value :: argc, argv
    end function c_initialize

    integer(c_int) function c_finalize() bind(c, name="deepsolve_finalize")
      import :: c_int
    end function c_finalize

    type(c_ptr) function c_error_message() bind(c, name="deepsolve_error_message")
      import :: c_ptr
    end function c_error_message

    integer(c_int) function c_create(solver, comm, dim, grid_size, spacing, boundary, offset, &
                                     block, cell_types, coefficients, solver_name, model, rtol, &
                                     atol, max_iterations, options) &
        bind(c, name="deepsolve_poisson_create_f")
      import :: c_int, c_double, c_char, c_ptr
      type(c_ptr), intent(out) :: solver
      integer(c_int), value :: comm, dim, max_iterations
      integer(c_int), intent(in) :: grid_size(*), boundary(*), offset(*), block(*), cell_types(*)
      real(c_double), intent(in) :: spacing(*)
      real(c_double), intent(in), optional :: coefficients(*)
      character(kind=c_char), intent(in) :: solver_name(*), model(*), options(*)
      real(c_double), value :: rtol, atol
    end function c_create

    integer(c_int) function c_destroy(solver) bind(c, name="deepsolve_poisson_destroy")
      import :: c_int, c_ptr
      type(c_ptr), intent(inout) :: solver
    end function c_destroy

    integer(c_int) function c_set_cells(solver, cell_types) &
        bind(c, name="deepsolve_poisson_set_cells")
      import :: c_int, c_ptr
      type(c_ptr), value :: solver
      integer(c_int), intent(in) :: cell_types(*)
    end function c_set_cells

    integer(c_int) function c_set_initial_guess_nonzero(solver, nonzero) &
        bind(c, name="deepsolve_poisson_set_initial_guess_nonzero")
      import :: c_int, c_ptr
      type(c_ptr), value :: solver
      integer(c_int), value :: nonzero
    end function c_set_initial_guess_nonzero

    integer(c_int) function c_solve(solver, b, x) bind(c, name="deepsolve_poisson_solve")
      import :: c_int, c_double, c_ptr
      type(c_ptr), value :: solver
      real(c_double), intent(in) :: b(*)
      real(c_double), intent(inout) :: x(*)
    end function c_solve

    integer(c_int) function c_iterations(solver, iterations) &
        bind(c, name="deepsolve_poisson_iterations")
      import :: c_int, c_ptr
      type(c_ptr), value :: solver
      integer(c_int), intent(out) :: iterations
    end function c_iterations

    integer(c_int) function c_residual(solver, residual) bind(c, name="deepsolve_poisson_residual")
      import :: c_int, c_double, c_ptr
      type(c_ptr), value :: solver
      real(c_double), intent(out) :: residual
    end function c_residual

    integer(c_int) function c_reason(solver, reason, length) bind(c, name="deepsolve_poisson_reason")
      import :: c_int, c_char, c_ptr
      type(c_ptr), value :: solver
      character(kind=c_char), intent(out) :: reason(*)
      integer(c_int), value :: length
    end function c_reason

    integer(c_int) function c_times(solver, setup_seconds, solve_seconds) &
        bind(c, name="deepsolve_poisson_times")
      import :: c_int, c_double, c_ptr
      type(c_ptr), value :: solver
      real(c_double), intent(out) :: setup_seconds, solve_seconds
    end function c_times

    integer(c_int) function c_describe(solver, text, length) &
        bind(c, name="deepsolve_poisson_describe")
      import :: c_int, c_char, c_ptr
      type(c_ptr), value :: solver
      character(kind=c_char), intent(out) :: text(*)
      integer(c_int), value :: length
    end function c_describe

    integer(c_int) function c_strlen(text) bind(c, name="strlen")
      import :: c_int, c_ptr
      type(c_ptr), value :: text
    end function c_strlen
  end interface

contains

  !> Initialises PETSc (and MPI when not initialised yet); optional, create does it on demand.
  integer(c_int) function deepsolve_initialize() result(status)
    status = c_initialize(c_null_ptr, c_null_ptr)
  end function deepsolve_initialize

  !> Finalises what deepsolve initialised.
  integer(c_int) function deepsolve_finalize() result(status)
    status = c_finalize()
  end function deepsolve_finalize

  !> The text of the last failure in this thread ("" when none).
  function deepsolve_error_message() result(message)
    character(len=:), allocatable :: message
    type(c_ptr) :: text
    character(kind=c_char), pointer :: chars(:)
    integer :: i, n
    text = c_error_message()
    n = 0
    if (c_associated(text)) n = c_strlen(text)
    allocate(character(len=n) :: message)
    if (n == 0) return
    call c_f_pointer(text, chars, [n])
    do i = 1, n
      message(i:i) = chars(i)
    end do
  end function deepsolve_error_message

  !> Creates a solver (deepsolve_poisson_create in deepsolve.h). grid_size, spacing, offset and
  !> block have dim entries (offset 0-based), boundary 2*dim (x_lo, x_hi, y_lo, y_hi[, z_lo, z_hi]),
  !> cell_types and coefficients one per cell of the block. Defaults: the shipped model,
  !> rtol 1e-6, atol 0, 10000 iterations, no PETSc options.
  integer(c_int) function deepsolve_poisson_create(solver, comm, dim, grid_size, spacing, &
                                                   boundary, offset, block, cell_types, &
                                                   solver_name, coefficients, model, rtol, atol, &
                                                   max_iterations, options) result(status)
    type(deepsolve_poisson), intent(out) :: solver
    type(MPI_Comm), intent(in) :: comm
    integer, intent(in) :: dim
    integer(c_int), intent(in) :: grid_size(:), boundary(:), offset(:), block(:)
    real(c_double), intent(in) :: spacing(:)
    integer(c_int), intent(in) :: cell_types(*)
    character(len=*), intent(in) :: solver_name
    real(c_double), intent(in), optional :: coefficients(*)
    character(len=*), intent(in), optional :: model, options
    real(c_double), intent(in), optional :: rtol, atol
    integer, intent(in), optional :: max_iterations
    ! Entries the caller did not give are invalid (-1, 0), so that the C API names them.
    integer(c_int) :: n3(3), lo3(3), b3(3), bc6(6)
    real(c_double) :: h3(3)
    real(c_double) :: rtol_c, atol_c
    integer(c_int) :: iterations_c
    n3 = -1
    lo3 = -1
    b3 = -1
    bc6 = -1
    h3 = 0
    n3(1:min(3, size(grid_size))) = grid_size(1:min(3, size(grid_size)))
    lo3(1:min(3, size(offset))) = offset(1:min(3, size(offset)))
    b3(1:min(3, size(block))) = block(1:min(3, size(block)))
    bc6(1:min(6, size(boundary))) = boundary(1:min(6, size(boundary)))
    h3(1:min(3, size(spacing))) = spacing(1:min(3, size(spacing)))
    rtol_c = 1.0e-6_c_double
    atol_c = 0
    iterations_c = 10000
    if (present(rtol)) rtol_c = rtol
    if (present(atol)) atol_c = atol
    if (present(max_iterations)) iterations_c = int(max_iterations, c_int)
    status = c_create(solver%handle, int(comm%MPI_VAL, c_int), int(dim, c_int), n3, h3, bc6, &
                      lo3, b3, cell_types, coefficients, c_string(solver_name), &
                      c_string(model), rtol_c, atol_c, iterations_c, c_string(options))
  end function deepsolve_poisson_create

  !> Destroys the solver (nothing when it was never created). Collective.
  integer(c_int) function deepsolve_poisson_destroy(solver) result(status)
    type(deepsolve_poisson), intent(inout) :: solver
    status = c_destroy(solver%handle)
  end function deepsolve_poisson_destroy

  !> New cell types of this rank's block; the solver is set up again for them. Collective.
  integer(c_int) function deepsolve_poisson_set_cells(solver, cell_types) result(status)
    type(deepsolve_poisson), intent(in) :: solver
    integer(c_int), intent(in) :: cell_types(*)
    status = c_set_cells(solver%handle, cell_types)
  end function deepsolve_poisson_set_cells

  !> .true.: solve starts from the x it is given.
  integer(c_int) function deepsolve_poisson_set_initial_guess_nonzero(solver, nonzero) &
      result(status)
    type(deepsolve_poisson), intent(in) :: solver
    logical, intent(in) :: nonzero
    status = c_set_initial_guess_nonzero(solver%handle, merge(1_c_int, 0_c_int, nonzero))
  end function deepsolve_poisson_set_initial_guess_nonzero

  !> Solves A x = b on this rank's block. Collective.
  integer(c_int) function deepsolve_poisson_solve(solver, b, x) result(status)
    type(deepsolve_poisson), intent(in) :: solver
    real(c_double), intent(in) :: b(*)
    real(c_double), intent(inout) :: x(*)
    status = c_solve(solver%handle, b, x)
  end function deepsolve_poisson_solve

  integer(c_int) function deepsolve_poisson_iterations(solver, iterations) result(status)
    type(deepsolve_poisson), intent(in) :: solver
    integer, intent(out) :: iterations
    integer(c_int) :: n
    n = 0
    status = c_iterations(solver%handle, n)
    iterations = int(n)
  end function deepsolve_poisson_iterations

  integer(c_int) function deepsolve_poisson_residual(solver, relative_residual) result(status)
    type(deepsolve_poisson), intent(in) :: solver
    real(c_double), intent(out) :: relative_residual
    status = c_residual(solver%handle, relative_residual)
  end function deepsolve_poisson_residual

  !> PETSc's name of why the last solve stopped, blank-padded (truncated when reason is shorter).
  integer(c_int) function deepsolve_poisson_reason(solver, reason) result(status)
    type(deepsolve_poisson), intent(in) :: solver
    character(len=*), intent(out) :: reason
    character(kind=c_char) :: buffer(64)
    status = c_reason(solver%handle, buffer, int(size(buffer), c_int))
    call from_c_string(buffer, reason)
  end function deepsolve_poisson_reason

  integer(c_int) function deepsolve_poisson_times(solver, setup_seconds, solve_seconds) &
      result(status)
    type(deepsolve_poisson), intent(in) :: solver
    real(c_double), intent(out) :: setup_seconds, solve_seconds
    status = c_times(solver%handle, setup_seconds, solve_seconds)
  end function deepsolve_poisson_times

  !> The grid, the method and the PETSc options prefix, blank-padded or truncated to text.
  integer(c_int) function deepsolve_poisson_describe(solver, text) result(status)
    type(deepsolve_poisson), intent(in) :: solver
    character(len=*), intent(out) :: text
    character(kind=c_char) :: buffer(512)
    status = c_describe(solver%handle, buffer, int(size(buffer), c_int))
    call from_c_string(buffer, text)
  end function deepsolve_poisson_describe

  !> A Fortran string as C reads it: trailing blanks removed, null-terminated ("" when absent).
  function c_string(text) result(c_text)
    character(len=*), intent(in), optional :: text
    character(kind=c_char, len=:), allocatable :: c_text
    if (present(text)) then
      c_text = trim(text)//c_null_char
    else
      c_text = c_null_char
    end if
  end function c_string

  subroutine from_c_string(buffer, text)
    character(kind=c_char), intent(in) :: buffer(:)
    character(len=*), intent(out) :: text
    integer :: i
    text = ' '
    do i = 1, min(size(buffer), len(text))
      if (buffer(i) == c_null_char) exit
      text(i:i) = buffer(i)
    end do
  end subroutine from_c_string

end module deepsolve
