! The C example (poisson_obstacle.c) in Fortran through the module `deepsolve` (docs/capi.md): a
! 2D grid with a disc obstacle that moves between two time steps, Neumann walls and an open
! (Dirichlet) top, split along y over the MPI ranks. For DCDM and ICC(0)-PCG: create once, then
! per step set the cell types and solve, from the last step's pressure after the first; the true
! residual is checked and the two answers compared. Stops with a non-zero exit code on any failure.
!
!   mpiexec -n 2 poisson_obstacle_fortran [N]      (N x N cells, default 64)
program poisson_obstacle
  use, intrinsic :: iso_c_binding, only: c_double, c_int
  use mpi_f08
  use deepsolve
  implicit none

  integer, parameter :: steps = 2
  real(c_double), parameter :: rtol = 1.0e-6_c_double
  character(len=4), parameter :: solvers(2) = ["dcdm", "icc "]
  integer :: rank, ranks, n, j0, rows, s, step, iterations, failures
  integer(c_int), allocatable :: cells(:, :)
  real(c_double), allocatable :: b(:, :), x(:, :, :)
  real(c_double) :: residual, setup_s, solve_s, local(2), global(2)
  character(len=32) :: reason, argument
  character(len=256) :: text
  type(deepsolve_poisson) :: solver

  call MPI_Init()
  call MPI_Comm_rank(MPI_COMM_WORLD, rank)
  call MPI_Comm_size(MPI_COMM_WORLD, ranks)
  n = 64
  if (command_argument_count() > 0) then
    call get_command_argument(1, argument)
    read (argument, *) n
  end if
  if (n < 8 .or. n < ranks) then
    if (rank == 0) write (*, '(a, i0, a)') 'poisson_obstacle_fortran: N = ', n, ' is too small'
    call MPI_Finalize()
    stop 2
  end if

  ! This rank's rows: n split as evenly as the ranks allow.
  rows = n / ranks
  j0 = rank * rows + min(rank, mod(n, ranks))
  if (rank < mod(n, ranks)) rows = rows + 1
  allocate (cells(n, rows), b(n, rows), x(n, rows, 2))
  failures = 0

  do s = 1, 2
    call disc_cells(0.4_c_double)
    ! Create once: the shipped model (dcdm), tolerance rtol, at most 1000 iterations.
    call check('create', deepsolve_poisson_create(solver, MPI_COMM_WORLD, 2, [n, n], &
               [1.0_c_double / n, 1.0_c_double / n], &
               [DEEPSOLVE_NEUMANN, DEEPSOLVE_NEUMANN, DEEPSOLVE_NEUMANN, DEEPSOLVE_DIRICHLET], &
               [0, j0], [n, rows], cells, trim(solvers(s)), rtol=rtol, max_iterations=1000))
    if (failures > 0) exit
    call check('describe', deepsolve_poisson_describe(solver, text))
    if (rank == 0) write (*, '(a)') trim(text)
    do step = 0, steps - 1
      ! Per step: the obstacle moves, then the pressure solve.
      if (step > 0) then
        call disc_cells(0.4_c_double + 0.05_c_double * step)
        call check('set_cells', deepsolve_poisson_set_cells(solver, cells))
        ! Warm start: from the last step's pressure, still in x(:, :, s).
        call check('set_initial_guess_nonzero', &
                   deepsolve_poisson_set_initial_guess_nonzero(solver, .true.))
      end if
      call source()
      call check('solve', deepsolve_poisson_solve(solver, b, x(:, :, s)))
      call check('iterations', deepsolve_poisson_iterations(solver, iterations))
      call check('residual', deepsolve_poisson_residual(solver, residual))
      call check('reason', deepsolve_poisson_reason(solver, reason))
      call check('times', deepsolve_poisson_times(solver, setup_s, solve_s))
      if (rank == 0) write (*, '(a, " step ", i0, ": ", i3, " iterations, true relative residual ", &
                                &es9.2, " (", a, "), setup ", f6.3, " s, solve ", f6.3, " s")') &
        solvers(s), step, iterations, residual, trim(reason), setup_s, solve_s
      if (.not. residual <= 2 * rtol) then
        if (rank == 0) write (*, '(a, es9.2)') 'poisson_obstacle_fortran: residual ', residual
        failures = failures + 1
      end if
    end do
    call check('destroy', deepsolve_poisson_destroy(solver))
  end do

  ! Both solvers solved the last step's system: their answers agree to the tolerance's order.
  if (failures == 0) then
    local = [maxval(abs(x(:, :, 1) - x(:, :, 2))), maxval(abs(x(:, :, 2)))]
    call MPI_Allreduce(local, global, 2, MPI_DOUBLE_PRECISION, MPI_MAX, MPI_COMM_WORLD)
    if (rank == 0) write (*, '(a, es9.2)') &
      'dcdm vs icc: max |x_dcdm - x_icc| / max |x_icc| = ', global(1) / global(2)
    if (.not. global(1) / global(2) < 1.0e-4_c_double) failures = failures + 1
  end if

  call check('finalize', deepsolve_finalize())
  call MPI_Finalize()
  if (failures > 0) stop 1

contains

  !> The disc of radius 0.15 at (cx, 0.5) as solid cells of the block, the rest fluid.
  subroutine disc_cells(cx)
    real(c_double), intent(in) :: cx
    integer :: i, j
    real(c_double) :: px, py
    do j = 1, rows
      do i = 1, n
        px = (i - 0.5_c_double) / n - cx
        py = (j0 + j - 0.5_c_double) / n - 0.5_c_double
        cells(i, j) = merge(DEEPSOLVE_SOLID, DEEPSOLVE_FLUID, px**2 + py**2 < 0.15_c_double**2)
      end do
    end do
  end subroutine disc_cells

  !> A source near the bottom, zero in solid cells.
  subroutine source()
    integer :: i, j
    real(c_double) :: px, py
    do j = 1, rows
      do i = 1, n
        px = (i - 0.5_c_double) / n - 0.5_c_double
        py = (j0 + j - 0.5_c_double) / n - 0.15_c_double
        b(i, j) = 0
        if (cells(i, j) == DEEPSOLVE_FLUID) b(i, j) = exp(-(px**2 + py**2) / 0.01_c_double)
      end do
    end do
  end subroutine source

  subroutine check(what, status)
    character(len=*), intent(in) :: what
    integer(c_int), intent(in) :: status
    if (status == DEEPSOLVE_SUCCESS) return
    failures = failures + 1
    if (rank == 0) write (*, '(a, a, a, i0, a, a)') 'poisson_obstacle_fortran: ', what, &
      ' failed (status ', status, '): ', deepsolve_error_message()
  end subroutine check

end program poisson_obstacle
